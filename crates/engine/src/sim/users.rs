//! Closed-loop users: each user of a group sends a request, waits for its end (an answer, an
//! error, its client's timeout or deadline, retries included), thinks for an exponential time
//! and sends the next, until it has sent its share or the run ends.

use super::*;

/// One closed-loop user's state.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct UserState {
    /// Still part of its group (a lowered count deactivates users from the top).
    pub(super) active: bool,
    /// Has a request in progress.
    pub(super) waiting: bool,
    /// Has its next request scheduled.
    pub(super) scheduled: bool,
    /// Requests sent so far.
    pub(super) sent: u32,
}

impl Simulation {
    /// Every user of every group, active and idle, before anything is scheduled.
    pub(super) fn users_at_time_zero(cfg: &Config) -> Vec<Vec<UserState>> {
        (cfg.users.iter())
            .map(|g| {
                let user = UserState {
                    active: true,
                    ..UserState::default()
                };
                vec![user; g.count as usize]
            })
            .collect()
    }

    /// Schedules each user's first request: spread evenly over the group's start spread, or
    /// after a first think time.
    pub(super) fn schedule_first_user_requests(&mut self) {
        for g in 0..self.cfg.users.len() {
            let group = &self.cfg.users[g];
            let (start, spread, count) = (group.start, group.start_spread, group.count);
            for u in 0..count {
                let mut rng = self.user_rng(g, u);
                let after = match spread {
                    Some(spread) => {
                        SimDuration::from_micros((spread.as_micros() as f64 * rng.open01()) as u64)
                    }
                    None => self.think_time(g, &mut rng),
                };
                self.send_later(g, u as usize, start + after);
            }
        }
    }

    /// User `u` of group `g` sends its next request at `at` (if the run lasts that long).
    fn send_later(&mut self, g: usize, u: usize, at: SimTime) {
        let scheduled = at <= self.end;
        self.users[g][u].scheduled = scheduled;
        if scheduled {
            self.schedule(
                at,
                Event::UserSends {
                    group: g as u8,
                    user: u as u32,
                },
            );
        }
    }

    /// User `u`'s random stream for its next request (one per request it has sent).
    fn user_rng(&self, g: usize, u: u32) -> SimRng {
        let sent = self.users[g].get(u as usize).map_or(0, |s| s.sent);
        SimRng::derived(
            self.cfg.seed,
            &[Stream::Users as u64, g as u64, u as u64, sent as u64],
        )
    }

    fn think_time(&self, g: usize, rng: &mut SimRng) -> SimDuration {
        let mean_us = self.cfg.users[g].think_mean.as_micros() as f64;
        SimDuration::from_micros(libm::round(rng.exponential(mean_us)) as u64)
    }

    /// User `u` of group `g` thinks from now, then sends its next request.
    fn think_then_send(&mut self, g: usize, u: usize) {
        let mut rng = self.user_rng(g, u as u32);
        let think = self.think_time(g, &mut rng);
        self.send_later(g, u, self.now + think);
    }

    /// A user's next request is due.
    pub(super) fn user_sends(&mut self, g: usize, u: usize) {
        let state = &mut self.users[g][u];
        state.scheduled = false;
        if !state.active {
            return;
        }
        state.sent += 1;
        state.waiting = true;
        self.users_waiting += 1;
        self.new_request(g as u8 + 1, u as u32);
    }

    /// A user request of `request`'s source ended: its user thinks and sends the next one,
    /// unless it has sent its share or left its group.
    pub(super) fn user_request_ended(&mut self, request: &RequestInfo) {
        if request.source == 0 {
            return;
        }
        let (g, u) = (request.source as usize - 1, request.user as usize);
        self.users[g][u].waiting = false;
        self.users_waiting -= 1;
        let state = self.users[g][u];
        let done = (self.cfg.users[g].requests_per_user).is_some_and(|n| state.sent >= n);
        if state.active && !done {
            self.think_then_send(g, u);
        }
    }

    /// Fits the user groups to a new configuration's counts: users beyond a lowered count
    /// leave after their current request; users added (or brought back) idle start after a
    /// think time from now.
    pub(super) fn resize_user_groups(&mut self) {
        for g in 0..self.cfg.users.len() {
            let count = self.cfg.users[g].count as usize;
            if self.users[g].len() < count {
                self.users[g].resize(count, UserState::default());
            }
            for u in 0..self.users[g].len() {
                let state = &mut self.users[g][u];
                state.active = u < count;
                let done = (self.cfg.users[g].requests_per_user).is_some_and(|n| state.sent >= n);
                if state.active && !state.waiting && !state.scheduled && !done {
                    self.think_then_send(g, u);
                }
            }
        }
    }

    /// The client of requests from `source` (0: open loop, `g + 1`: group `g`): an index
    /// into the configuration's clients.
    pub(super) fn client_of(&self, source: u8) -> usize {
        match source {
            0 => 0,
            s => self.cfg.users[s as usize - 1].client,
        }
    }

    /// Closed-loop users waiting for a request now, and users in their groups (0 and 0 for a
    /// scenario without users).
    pub fn users_waiting_and_present(&self) -> (u64, u64) {
        let present = self.cfg.users.iter().map(|g| g.count as u64).sum();
        (self.users_waiting, present)
    }
}
