//! The depth-first explorer: stateless model checking over the steps of a program, with
//! dynamic partial-order reduction (source sets and sleep sets) and a preemption bound.
//!
//! The explorer keeps the current execution as a stack of [`Node`]s, one per scheduling point
//! (a step boundary where more than one thing could happen next): which threads were runnable,
//! which one ran, what its step touched, which waiters its hand-offs woke. An execution replays
//! the stack's prefix exactly (the VM is deterministic given its choices), then extends it with
//! the default choice — the thread that was running, if it can go on, so that new executions
//! cost no preemption; else the lowest runnable thread. When the execution ends, its races
//! are analysed (below) and the deepest node with an unexplored alternative is where the next
//! execution branches off.
//!
//! **Source sets** (Abdulla, Aronis, Jonsson, Sagonas, POPL 2014). For each pair of steps `e`
//! (thread q) before `f` (thread p) that are dependent and in a race (not ordered by
//! happens-before through other steps), an execution that runs `f` before `e` can only be
//! reached by running, at `e`'s node, a thread that starts the sequence `v` of the steps
//! between `e` and `f` that do not happen after `e`, followed by `f`. Such a thread is an
//! *initial* of `v` (its first step in `v` has no happens-before predecessor in `v`). If no
//! initial is already scheduled at `e`'s node (in its backtrack set or its sleep set), one is
//! added — `p` itself when it is an initial. Classic DPOR adds `p`, or every thread when `p`
//! was not enabled there; source sets add one thread where one suffices, which is what keeps
//! the number of executions near the number of Mazurkiewicz traces.
//!
//! **Sleep sets** (Godefroid). A thread whose step was explored at a node, and whose step is
//! independent of the step taken next, needs no exploring after it: the two orders are the
//! same trace. A node's sleep set is inherited through independent steps; a node where every
//! runnable thread sleeps ends its execution (counted as pruned, not as an execution).
//!
//! **Dependence** is computed from each step's footprint (`vm::observe`): two steps are
//! dependent when they touch the same shared location (a global, a closure cell, a list slot,
//! a dict key, an object's attributes) and one of them writes it, or use the same sync object
//! (two queries aside). Three edges are added for blocking: a thread's end is a signal on its
//! `Thread` object (what `join` waits for); a call that blocked and only waits (an acquire, a
//! join, a queue's `get`) takes effect in the step after it is woken, which carries its
//! touches (a blocked acquire also keeps its touch in the step that blocked: the attempt
//! races with the holder's acquire, whose other order — this thread first — is another trace;
//! without it a deadlock whose opposite lock order was only seen through a blocked attempt
//! went unexplored); and a step that makes a thread runnable happens before that thread's next step.
//!
//! **The virtual clock.** A step that blocks with a deadline (`time.sleep`, a timeout,
//! `threading.Timer`'s wait) computes it from the clock, which counts every instruction run
//! so far; the first step of a thread its deadline woke could run only once enough had. Both
//! are marked as reading the clock (`Fp::clock`) and are dependent with every step of another
//! thread: the search moves a timed wait, and so the firing, across the other threads' steps.
//! Without it a timer that fires in the middle of another thread's loop was only ever seen
//! firing after it.
//!
//! **Happens-before** is tracked with vector clocks over the execution's steps: a step's
//! clock joins its thread's previous step, the step that enabled its thread, and every earlier
//! dependent step.
//!
//! **The GIL model restricts the switch points**: a step runs its thread to the next switch
//! point of the model (`Length::Step`, `vm/explore_step.rs`), so the explorer can only switch
//! where the model can — after every instruction under `any`, only after a call returns, a
//! function is entered or a loop jumps back under `py311`. Under `any` and `nogil` the step
//! goes on to just before the thread's next visible instruction (a shared access or a sync
//! operation): a switch before an invisible one is the same trace as a switch after it. A
//! thread that blocks or ends hands over where it is. Fewer switch points, fewer nodes: a
//! program that loses updates under `any` may be proved free of lost updates under `py311`.
//!
//! **Preemption bound** (Musuvathi, Qadeer, PLDI 2007). A preemption is a switch away from a
//! thread that could have gone on; blocking and ending are free. With a bound, an alternative
//! that would need more preemptions is left out (the report says the bound was reached). As
//! DPOR may reach an execution within the bound only through one beyond it, each backtrack
//! point is also added at the last switch before it (the conservative point of Coons,
//! Musuvathi and McKinley's bounded POR, OOPSLA 2013, as Loom does).
//!
//! **Waiter choices** (which of several waiters a release, a notify, a put wakes) are
//! scheduling points too, explored exhaustively (no reduction); below an alternative waiter
//! choice the sleep sets start empty.
//!
//! **Fast-forwarded replay.** Most of an execution replays the last one's prefix (on the
//! two-thread benchmark ≈80% of its steps and instructions), and those steps' footprints are
//! kept (`fp_valid`). A replayed step is not run in step mode when its node says it can be
//! run plainly ([`Node::ff`], written when the step was recorded: it did not die, release a
//! lock, wake a chosen waiter or read the clock): the driver runs it as a turn of exactly its
//! recorded number of instructions with the interpreter's ordinary hot loop, and the same
//! thread's following such steps with it, in one turn ([`Ctl::fast_forward`]). The VM is
//! deterministic, so the plain turn runs the same instructions and leaves the same state;
//! what step mode would do between its instructions comes out the same (a released lock's
//! waiter is woken between two instructions there and at the turn's end here, which is why
//! a release is not fast-forwarded; a blocked step's carried wait is kept in its node). The
//! chooser moves over each node as if it had chosen it, and the turn log gets each step
//! (its length and line as recorded). Under `any` and `nogil` only, without `--races`.

use smallvec::SmallVec;

use crate::explore::exec::{Ctl, Fp};
use crate::vm::interp::SliceEnd;
use crate::vm::observe::{SyncOp, Touch};
use crate::vm::thread::Tid;

/// A few threads, inline (no allocation for up to four).
pub type Tids = SmallVec<[Tid; 4]>;

/// One scheduling point of the current execution.
#[derive(Clone, Debug, Default)]
pub struct Node {
    /// Runnable threads (sorted).
    pub enabled: Tids,
    /// The thread that could go on here (its step ended at a switch point), if any.
    pub prev: Option<Tid>,
    /// Preemptions before this node.
    pub pre: u32,
    pub chosen: Tid,
    /// Threads to explore here (the chosen one included).
    pub backtrack: Tids,
    /// Threads explored here before the chosen one, with their steps' footprints.
    pub explored: Vec<(Tid, Fp)>,
    pub sleep: Vec<(Tid, Fp)>,
    /// What the chosen thread's step touched.
    pub fp: Fp,
    /// Waiter choices made during the step: (number of waiters, index chosen).
    pub wakes: Vec<(usize, usize)>,
    /// The waiter choices are an alternative: the sleep sets below start empty.
    pub wake_alt: bool,
    /// The instructions of the chosen thread's step when a replay of it may be
    /// fast-forwarded ([`Ctl::fast_forward`]: it did not die, released no lock, woke no
    /// chosen waiter, did not read the clock); 0 otherwise.
    pub ff: u64,
    /// How that step ended: `Budget`, `Finished` or `Blocked`.
    pub ff_end: FfEnd,
    /// What a blocked step carried into its thread's next step (a wait).
    pub carry: SmallVec<[Touch; 1]>,
    /// The source line the chosen thread stood at after its step (the turn log's).
    pub line: u32,
}

/// How a step that may be fast-forwarded ended ([`Node::ff_end`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FfEnd {
    /// Before a visible instruction.
    #[default]
    Budget,
    /// Its thread ended.
    Finished,
    /// Its thread blocked.
    Blocked,
}

impl FfEnd {
    fn slice_end(self) -> SliceEnd {
        match self {
            FfEnd::Budget => SliceEnd::Budget,
            FfEnd::Finished => SliceEnd::Finished,
            FfEnd::Blocked => SliceEnd::Blocked,
        }
    }
}

/// The current execution's nodes, kept in place: the stack is the first `len` nodes of `all`,
/// and the nodes beyond it (cut off by [`Dfs::advance`]) stay where they are, their lists
/// (sleep set, explored threads, waiter choices, footprint) with their buffers, to be
/// overwritten field by field by the next new nodes. A new node is neither built nor moved
/// (a `Node` is ≈340 bytes: taking one off a spare list and pushing it copied it twice, and
/// cutting the stack a third time), and allocates nothing once the lists have grown.
#[derive(Clone, Debug, Default)]
pub struct NodeStack {
    all: Vec<Node>,
    len: usize,
}

impl NodeStack {
    /// The stack `nodes`.
    pub fn from_vec(nodes: Vec<Node>) -> NodeStack {
        let len = nodes.len();
        NodeStack { all: nodes, len }
    }

    /// The nodes of the stack (the ones kept beyond it dropped).
    pub fn into_vec(mut self) -> Vec<Node> {
        self.all.truncate(self.len);
        self.all
    }

    /// Cuts the stack to its first `len` nodes (kept in place for the next new ones).
    fn cut(&mut self, len: usize) {
        self.len = self.len.min(len);
    }

    /// The node above the stack (a kept one, or a new default one), not on it yet: the nodes
    /// of the stack and that one.
    fn above(&mut self) -> (&[Node], &mut Node) {
        if self.all.len() == self.len {
            self.all.push(Node::default());
        }
        let (below, rest) = self.all.split_at_mut(self.len);
        (below, &mut rest[0])
    }

    /// Puts the node [`NodeStack::above`] gave on the stack.
    fn push_above(&mut self) {
        debug_assert!(self.len < self.all.len());
        self.len += 1;
    }
}

impl std::ops::Deref for NodeStack {
    type Target = [Node];
    #[inline]
    fn deref(&self) -> &[Node] {
        &self.all[..self.len]
    }
}

impl std::ops::DerefMut for NodeStack {
    #[inline]
    fn deref_mut(&mut self) -> &mut [Node] {
        &mut self.all[..self.len]
    }
}

/// The race analysis's buffers, kept from execution to execution.
#[derive(Default)]
struct Scratch {
    /// The steps' vector clocks, `Dfs::tn` entries each.
    vcs: Vec<u32>,
    /// Each thread's latest clock, `tn` entries each.
    last: Vec<u32>,
    enabler: Vec<Option<usize>>,
    /// `enabler` as it was when each step's turn came, `tn` entries a step (to take the
    /// analysis up again from a step).
    enablers: Vec<Option<usize>>,
    races: Vec<(usize, usize)>,
    candidates: Vec<usize>,
    /// Each thread's steps (positions, ascending), `tn` lists.
    steps_of: Vec<Vec<u32>>,
    /// The earlier steps a step is compared with (positions, descending).
    order: Vec<usize>,
    /// `order` being merged.
    merged: Vec<usize>,
    pre: Vec<u32>,
    vc: Vec<u32>,
}

impl Node {
    /// Whether choosing `q` here is a preemption.
    fn preempts(&self, q: Tid) -> bool {
        self.prev.is_some_and(|p| p != q)
    }
}

/// The depth-first explorer's state (see the module note).
pub struct Dfs {
    pub nodes: NodeStack,
    /// Maximum preemptions (`None`: unbounded).
    pub bound: Option<u32>,
    /// Partial-order reduction on; off, every runnable thread within the bound is explored at
    /// every node (the shrinker's exhaustive search).
    pub por: bool,
    /// Nodes up to and including this one are fixed (a shard's subtree): no alternatives there.
    pub floor: Option<usize>,
    /// At most this many nodes per execution; past it the execution runs on without choices.
    pub max_nodes: usize,
    /// An alternative was left out because of the bound.
    pub bound_hit: bool,
    /// Executions explain their first lost update (the shrinker's:
    /// [`crate::explore::exec::Exec::lost_story`]).
    pub story: bool,
    /// Some execution went past `max_nodes`.
    pub too_deep: bool,
    /// An execution did not follow its replayed prefix (a nondeterminism: never expected).
    pub diverged: bool,
    cursor: usize,
    replay_len: usize,
    /// The nodes below this one keep their step's footprint from the last execution, which
    /// ran the same choices up to them (the VM is deterministic): replaying them, the step is
    /// not recorded again ([`Ctl::footprint_kept`]). Zero for a given prefix (a split's
    /// nodes carry no footprints).
    fp_valid: usize,
    /// The current step replays a node below `fp_valid`.
    kept: bool,
    /// Replayed steps are fast-forwarded where they can be ([`Ctl::fast_forward`]); off,
    /// every step is run in step mode (the tests compare).
    pub fast_forward: bool,
    /// Steps fast-forwarded so far.
    pub fast_forwarded: u64,
    wake_cursor: usize,
    cur: usize,
    free_running: bool,
    scratch: Scratch,
    /// Threads in the vector clocks of the last analysis.
    tn: usize,
    /// Steps whose analysis still holds: the last analysis covered them and they have not
    /// changed since (see [`Dfs::analyse`]).
    analysed: usize,
}

impl Dfs {
    pub fn new(bound: Option<u32>, por: bool, max_nodes: usize) -> Dfs {
        Dfs {
            nodes: NodeStack::default(),
            bound,
            por,
            floor: None,
            max_nodes,
            bound_hit: false,
            story: false,
            too_deep: false,
            diverged: false,
            cursor: 0,
            replay_len: 0,
            fp_valid: 0,
            kept: false,
            fast_forward: true,
            fast_forwarded: 0,
            wake_cursor: 0,
            cur: 0,
            free_running: false,
            scratch: Scratch::default(),
            tn: 0,
            analysed: 0,
        }
    }

    /// Cuts the stack to its first `len` nodes, keeping the others' buffers for new nodes.
    fn cut(&mut self, len: usize) {
        self.nodes.cut(len);
    }

    /// A subtree: the execution starts with `prefix` replayed exactly (its last node's choice
    /// and sleep set given), and nothing at or above its last node is ever changed.
    pub fn with_prefix(mut self, prefix: Vec<Node>) -> Dfs {
        self.floor = prefix.len().checked_sub(1);
        self.replay_len = prefix.len();
        self.fp_valid = 0;
        self.nodes = NodeStack::from_vec(prefix);
        self
    }

    /// Ready for the next execution.
    pub fn begin(&mut self) {
        self.cursor = 0;
        self.wake_cursor = 0;
        self.cur = 0;
        self.free_running = false;
        self.kept = false;
    }

    /// Preemptions of the current execution.
    pub fn preemptions(&self) -> u32 {
        self.nodes
            .last()
            .map_or(0, |n| n.pre + u32::from(n.preempts(n.chosen)))
    }

    fn within_bound(&self, node: &Node, q: Tid) -> bool {
        match self.bound {
            None => true,
            Some(b) => node.pre + u32::from(node.preempts(q)) <= b,
        }
    }

    /// Analyses the races of the finished execution and adds the backtrack points they need.
    ///
    /// The vector clocks live in one flat buffer (`threads` entries a step), reused from
    /// execution to execution with the other scratch lists: the analysis allocates nothing
    /// once they have grown.
    ///
    /// Incremental: an execution replays the steps before its branching point exactly, and
    /// the last analysis already found their races and added what they need (adding it again
    /// would change nothing: backtrack sets only grow, sleep sets are fixed, and the bound's
    /// verdict is the same). So only the steps from the branching point on are analysed, from
    /// the vector clocks the last analysis left for the steps before it; the work per
    /// execution is that of its new steps (each against every earlier one), no longer of all
    /// its steps. (When the number of threads changed, everything is analysed again.)
    pub fn analyse(&mut self) {
        if !self.por {
            return;
        }
        let n = self.nodes.len();
        let threads = self
            .nodes
            .iter()
            .flat_map(|x| x.enabled.iter().copied().chain([x.chosen]))
            .max()
            .map_or(0, |t| t as usize + 1);
        let tn = threads;
        let start = if tn == self.tn {
            self.analysed.min(n)
        } else {
            0
        };
        let mut sc = std::mem::take(&mut self.scratch);
        sc.vcs.truncate(start * tn);
        sc.vcs.resize(n * tn, 0);
        // (Step `start`'s own entry is where the analysis takes up again.)
        sc.enablers.truncate((start + 1) * tn);
        sc.enablers.resize(n.max(start + 1) * tn, None);
        sc.last.clear();
        sc.last.resize(tn * tn, 0);
        sc.enabler.clear();
        sc.enabler.resize(tn, None);
        sc.steps_of.resize_with(tn, Vec::new);
        if start > 0 {
            // The state the analysis was in when step `start`'s turn came: each thread's
            // steps before it (the lists the last analysis left, cut back to them) and its
            // latest clock.
            for (t, steps) in sc.steps_of.iter_mut().enumerate() {
                while steps.last().is_some_and(|&k| k as usize >= start) {
                    steps.pop();
                }
                if let Some(&k) = steps.last() {
                    let k = k as usize;
                    copy_vc(
                        &mut sc.last[t * tn..(t + 1) * tn],
                        &sc.vcs[k * tn..(k + 1) * tn],
                    );
                }
            }
            sc.enabler
                .copy_from_slice(&sc.enablers[start * tn..(start + 1) * tn]);
        } else {
            for s in &mut sc.steps_of {
                s.clear();
            }
        }
        sc.races.clear();
        sc.pre.clear();
        sc.pre.resize(tn, 0);
        sc.vc.clear();
        sc.vc.resize(tn, 0);
        let join = |a: &mut [u32], b: &[u32]| {
            for (x, y) in a.iter_mut().zip(b) {
                *x = (*x).max(*y);
            }
        };
        for j in start..n {
            copy_vc(&mut sc.enablers[j * tn..(j + 1) * tn], &sc.enabler);
            if j > 0 {
                let (prev, cur) = (&self.nodes[j - 1], &self.nodes[j]);
                for &t in &cur.enabled {
                    if !prev.enabled.contains(&t) && prev.chosen != t {
                        // Made runnable by step j−1 (a start, a release, a notify).
                        sc.enabler[t as usize] = Some(j - 1);
                    }
                }
            }
            let p = self.nodes[j].chosen as usize;
            copy_vc(&mut sc.pre, &sc.last[p * tn..(p + 1) * tn]);
            if let Some(e) = sc.enabler[p].take() {
                join(&mut sc.pre, &sc.vcs[e * tn..(e + 1) * tn]);
            }
            copy_vc(&mut sc.vc, &sc.pre);
            sc.candidates.clear();
            let fpj = &self.nodes[j].fp;
            // A step that happens before this thread's previous one is neither a race nor news:
            // step i of thread t is its own clock's entry i + 1, so only the steps of the other
            // threads from position `pre[t]` on are looked at (each thread's from its list,
            // latest first; all of them in descending order, as a scan of every earlier step
            // would meet them).
            sc.order.clear();
            let mut lists = 0;
            for (t, steps) in sc.steps_of.iter().enumerate() {
                if t == p {
                    continue;
                }
                let from = sc.pre[t];
                let before = sc.order.len();
                for &i in steps.iter().rev() {
                    if i < from {
                        break;
                    }
                    sc.order.push(i as usize);
                }
                lists += usize::from(sc.order.len() > before);
            }
            match lists {
                // (One thread's list is in order already; two are merged.)
                0 | 1 => {}
                2 => merge_two(&mut sc.order, &mut sc.merged),
                _ => sc.order.sort_unstable_by(|a, b| b.cmp(a)),
            }
            for &i in &sc.order {
                let ti = self.nodes[i].chosen as usize;
                let vci = &sc.vcs[i * tn..(i + 1) * tn];
                let fpi = &self.nodes[i].fp;
                if !fpi.depends_on(fpj) {
                    continue;
                }
                // Only a thread's latest racing step can be a race: its earlier ones come
                // before it.
                if fpi.races_with(fpj)
                    && !sc
                        .candidates
                        .iter()
                        .any(|&k| self.nodes[k].chosen as usize == ti)
                {
                    sc.candidates.push(i);
                }
                if vci[ti] > sc.vc[ti] {
                    join(&mut sc.vc, vci);
                }
            }
            sc.vc[p] = j as u32 + 1;
            sc.steps_of[p].push(j as u32);
            copy_vc(&mut sc.vcs[j * tn..(j + 1) * tn], &sc.vc);
            copy_vc(&mut sc.last[p * tn..(p + 1) * tn], &sc.vc);
            for &i in &sc.candidates {
                let ti = self.nodes[i].chosen as usize;
                let vi = sc.vcs[i * tn + ti];
                let covered = sc
                    .candidates
                    .iter()
                    .any(|&k| k != i && vi <= sc.vcs[k * tn + ti]);
                if !covered {
                    sc.races.push((i, j));
                }
            }
        }
        self.tn = tn;
        self.analysed = n;
        let races = std::mem::take(&mut sc.races);
        self.scratch = sc;
        for &(i, j) in &races {
            if self.floor.is_some_and(|f| i <= f) {
                continue;
            }
            self.add_backtrack(i, j);
        }
        self.scratch.races = races;
    }

    /// Entry `t` of step `k`'s vector clock (after [`Dfs::analyse`]).
    #[inline]
    fn vc(&self, k: usize, t: usize) -> u32 {
        self.scratch.vcs[k * self.tn + t]
    }

    /// The race of step `i` before step `j`: schedule at node `i` an initial of the steps
    /// after `i` that do not happen after it, followed by `j`.
    fn add_backtrack(&mut self, i: usize, j: usize) {
        let ti = self.nodes[i].chosen as usize;
        let after_i = |k: usize| self.vc(i, ti) <= self.vc(k, ti);
        let v: Vec<usize> = (i + 1..j)
            .filter(|&k| !after_i(k))
            .chain(std::iter::once(j))
            .collect();
        // Only a thread's first step in `v` can be an initial (its later steps come after it).
        let mut initials: Vec<Tid> = Vec::new();
        let mut seen: Vec<Tid> = Vec::new();
        for (x, &e) in v.iter().enumerate() {
            let te = self.nodes[e].chosen;
            if seen.contains(&te) {
                continue;
            }
            seen.push(te);
            let has_pred = v[..x].iter().any(|&m| {
                let tm = self.nodes[m].chosen as usize;
                self.vc(m, tm) <= self.vc(e, tm)
            });
            if !has_pred {
                initials.push(te);
            }
        }
        let node = &self.nodes[i];
        let scheduled = |q: Tid| node.backtrack.contains(&q) || node.sleep.iter().any(|s| s.0 == q);
        if initials.iter().any(|&q| scheduled(q)) {
            return;
        }
        let p = self.nodes[j].chosen;
        let usable: Vec<Tid> = initials
            .iter()
            .copied()
            .filter(|q| node.enabled.contains(q))
            .collect();
        let add: Vec<Tid> = if usable.contains(&p) {
            vec![p]
        } else if let Some(&q) = usable.first() {
            vec![q]
        } else {
            // No initial could run there: every runnable thread (classic DPOR's fallback).
            node.enabled
                .iter()
                .copied()
                .filter(|&q| !scheduled(q))
                .collect()
        };
        for q in add {
            self.schedule_at(i, q);
            if self.bound.is_some() {
                // Bounded DPOR (Coons, Musuvathi, McKinley 2013, as Loom does): also try `q`
                // at the last switch before `i`, where it may fit the bound when it does not
                // fit at `i`.
                let floor = self.floor.map_or(0, |f| f + 1);
                let k = (floor.max(1)..i)
                    .rev()
                    .find(|&k| self.nodes[k].chosen != self.nodes[k - 1].chosen)
                    .unwrap_or(floor);
                if k < i && self.nodes[k].enabled.contains(&q) {
                    self.schedule_at(k, q);
                }
            }
        }
    }

    /// Adds `q` to node `k`'s backtrack set if it is not scheduled there and fits the bound.
    fn schedule_at(&mut self, k: usize, q: Tid) {
        let node = &self.nodes[k];
        if node.backtrack.contains(&q) || node.sleep.iter().any(|s| s.0 == q) {
            return;
        }
        if self.within_bound(node, q) {
            self.nodes[k].backtrack.push(q);
        } else {
            self.bound_hit = true;
        }
    }

    /// Moves to the next execution: the deepest node with an unexplored alternative. `false`
    /// when the whole tree (within the bound) has been explored.
    pub fn advance(&mut self) -> bool {
        let start = self.floor.map_or(0, |f| f + 1);
        for i in (start..self.nodes.len()).rev() {
            let node = &mut self.nodes[i];
            if let Some(w) = (0..node.wakes.len())
                .rev()
                .find(|&w| node.wakes[w].1 + 1 < node.wakes[w].0)
            {
                node.wakes[w].1 += 1;
                node.wakes.truncate(w + 1);
                node.wake_alt = true;
                self.cut(i + 1);
                self.replay_len = i + 1;
                self.fp_valid = i;
                self.analysed = self.analysed.min(i);
                return true;
            }
            let next = node.backtrack.iter().copied().find(|&q| {
                q != node.chosen
                    && !node.explored.iter().any(|e| e.0 == q)
                    && !node.sleep.iter().any(|s| s.0 == q)
            });
            if let Some(q) = next {
                let fp = std::mem::take(&mut node.fp);
                node.explored.push((node.chosen, fp));
                node.chosen = q;
                node.wakes.clear();
                node.wake_alt = false;
                self.cut(i + 1);
                self.replay_len = i + 1;
                self.fp_valid = i;
                self.analysed = self.analysed.min(i);
                return true;
            }
        }
        false
    }
}

/// `dst = src` for a vector clock (a few entries: copied in place, as a `memcpy` call of
/// 12 bytes costs more than the copy).
#[inline]
fn copy_vc<T: Copy>(dst: &mut [T], src: &[T]) {
    match (dst, src) {
        ([d0], [s0]) => *d0 = *s0,
        ([d0, d1], [s0, s1]) => (*d0, *d1) = (*s0, *s1),
        ([d0, d1, d2], [s0, s1, s2]) => (*d0, *d1, *d2) = (*s0, *s1, *s2),
        ([d0, d1, d2, d3], [s0, s1, s2, s3]) => (*d0, *d1, *d2, *d3) = (*s0, *s1, *s2, *s3),
        (d, s) => d.copy_from_slice(s),
    }
}

/// `order` holds two descending runs one after the other: merges them into one (`buf`, a
/// scratch list, swapped in), as sorting it would.
fn merge_two(order: &mut Vec<usize>, buf: &mut Vec<usize>) {
    let cut = (1..order.len())
        .find(|&k| order[k] > order[k - 1])
        .unwrap_or(order.len());
    let (a, b) = order.split_at(cut);
    buf.clear();
    let (mut x, mut y) = (0, 0);
    while x < a.len() && y < b.len() {
        if a[x] > b[y] {
            buf.push(a[x]);
            x += 1;
        } else {
            buf.push(b[y]);
            y += 1;
        }
    }
    buf.extend_from_slice(&a[x..]);
    buf.extend_from_slice(&b[y..]);
    std::mem::swap(order, buf);
}

/// Whether two short lists of threads are equal (compared in place: no `memcmp` call).
#[inline]
fn same_tids(a: &[Tid], b: &[Tid]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

/// Writes into `out` (emptied) the sleep set of a new node after node `p` (`por`: the
/// reduction is on).
fn inherited_sleep(por: bool, p: &Node, enabled: &[Tid], out: &mut Vec<(Tid, Fp)>) {
    out.clear();
    if !por || p.wake_alt {
        return;
    }
    for (t, f) in p.sleep.iter().chain(p.explored.iter()) {
        if *t != p.chosen && enabled.contains(t) && !f.depends_on(&p.fp) {
            out.push((*t, f.clone()));
        }
    }
}

impl Ctl for Dfs {
    fn wants_story(&self) -> bool {
        self.story
    }

    fn choose(&mut self, runnable: &[Tid], prev: Option<Tid>) -> Option<Tid> {
        if self.free_running {
            return prev.or_else(|| runnable.first().copied());
        }
        self.kept = false;
        if self.cursor < self.replay_len {
            let k = self.cursor;
            self.cursor += 1;
            self.cur = k;
            self.wake_cursor = 0;
            let node = &mut self.nodes[k];
            if !same_tids(&node.enabled, runnable) {
                self.diverged = true;
                return None;
            }
            // A node below the branching point keeps its footprint (the same step as last
            // time); the branching node's step is another one, recorded afresh.
            self.kept = k < self.fp_valid;
            if !self.kept {
                node.fp.clear();
                node.ff = 0;
            }
            if k + 1 == self.replay_len && !node.wake_alt {
                node.wakes.clear();
            }
            return Some(node.chosen);
        }
        if self.nodes.len() >= self.max_nodes {
            self.too_deep = true;
            self.free_running = true;
            return prev.or_else(|| runnable.first().copied());
        }
        // The node above the stack (a kept one, its buffers kept, or a new one), filled in
        // place.
        let (por, bound) = (self.por, self.bound);
        let (below, node) = self.nodes.above();
        let pre = match below.last() {
            Some(p) => {
                inherited_sleep(por, p, runnable, &mut node.sleep);
                p.pre + u32::from(p.preempts(p.chosen))
            }
            None => {
                node.sleep.clear();
                0
            }
        };
        node.enabled.clear();
        for &t in runnable {
            node.enabled.push(t);
        }
        node.prev = prev;
        node.pre = pre;
        node.chosen = 0;
        node.explored.clear();
        node.fp.clear();
        node.wakes.clear();
        node.wake_alt = false;
        node.ff = 0;
        let mut within: Tids = SmallVec::new();
        let mut awake_count = 0;
        for &q in runnable {
            if !node.sleep.iter().any(|s| s.0 == q) {
                awake_count += 1;
                if bound.is_none_or(|b| pre + u32::from(node.preempts(q)) <= b) {
                    within.push(q);
                }
            }
        }
        if within.len() < awake_count {
            self.bound_hit = true;
        }
        let chosen = match prev {
            Some(p) if within.contains(&p) => p,
            _ => *within.first()?,
        };
        node.chosen = chosen;
        node.backtrack.clear();
        node.backtrack.push(chosen);
        if !por {
            node.backtrack
                .extend(within.iter().copied().filter(|&q| q != chosen));
        }
        self.nodes.push_above();
        self.cur = self.nodes.len() - 1;
        self.cursor = self.nodes.len();
        self.replay_len = 0;
        self.wake_cursor = 0;
        Some(chosen)
    }

    /// `choose`'s answer without its side effects, `prev` being the thread that could go on.
    fn goes_on(&self, runnable: &[Tid], prev: Tid) -> bool {
        if self.free_running {
            return true;
        }
        if self.cursor < self.replay_len {
            let node = &self.nodes[self.cursor];
            return node.chosen == prev && same_tids(&node.enabled, runnable);
        }
        if self.nodes.len() >= self.max_nodes {
            return true;
        }
        // A new node: `prev` is chosen when it is awake (not in the sleep set it would
        // inherit) and within the bound.
        let Some(p) = self.nodes.last() else {
            return false;
        };
        if !runnable.contains(&prev) {
            return false;
        }
        let asleep = self.por
            && !p.wake_alt
            && prev != p.chosen
            && p.sleep
                .iter()
                .chain(p.explored.iter())
                .any(|(t, f)| *t == prev && !f.depends_on(&p.fp));
        let pre = p.pre + u32::from(p.preempts(p.chosen));
        !asleep && self.bound.is_none_or(|b| pre <= b)
    }

    fn waiter(&mut self, tids: &[Tid]) -> usize {
        if self.free_running || self.nodes.is_empty() {
            return 0;
        }
        let n = tids.len();
        let w = self.wake_cursor;
        self.wake_cursor += 1;
        let node = &mut self.nodes[self.cur];
        if let Some(&(_, i)) = node.wakes.get(w) {
            return i.min(n - 1);
        }
        node.wakes.push((n, 0));
        0
    }

    /// The current node's footprint: a node is chosen afresh before each step, and its
    /// record is the step's (none when the execution runs on without choices).
    fn footprint(&mut self) -> Option<&mut Fp> {
        if self.free_running {
            return None;
        }
        let cur = self.cur;
        self.nodes.get_mut(cur).map(|n| &mut n.fp)
    }

    fn footprint_kept(&self) -> bool {
        self.kept
    }

    fn step_done(&mut self, _tid: Tid, _end: &SliceEnd) {}

    fn step_ran(&mut self, steps: u64, end: &SliceEnd, line: u32, carried: &[Touch]) {
        if self.free_running {
            return;
        }
        if let Some(n) = self.nodes.get_mut(self.cur) {
            // A lock's release wakes a waiter between two instructions of the step, the plain
            // turn only at its end; a chosen waiter is logged at its step, which a merged
            // plain turn is not at; a thread that died is reported on from its exception.
            let ff_end = match end {
                SliceEnd::Budget => Some(FfEnd::Budget),
                SliceEnd::Finished => Some(FfEnd::Finished),
                SliceEnd::Blocked => Some(FfEnd::Blocked),
                _ => None,
            };
            let plain = ff_end.is_some()
                && !n.fp.clock
                && n.wakes.is_empty()
                && !n
                    .fp
                    .syncs
                    .iter()
                    .any(|&(_, op)| matches!(op, SyncOp::Release | SyncOp::Wait));
            n.ff = if plain { steps } else { 0 };
            n.ff_end = ff_end.unwrap_or_default();
            n.line = line;
            n.carry.clear();
            if n.ff_end == FfEnd::Blocked {
                n.carry.extend_from_slice(carried);
            }
        }
    }

    fn fast_forward(&mut self, out: &mut Vec<(u64, u32, SliceEnd)>) -> bool {
        out.clear();
        if !self.fast_forward || !self.kept || self.free_running {
            return false;
        }
        let Some(first) = self.nodes.get(self.cur) else {
            return false;
        };
        if first.ff == 0 {
            return false;
        }
        let t = first.chosen;
        out.push((first.ff, first.line, first.ff_end.slice_end()));
        // The same thread's next steps, replays of the same kind, with the same threads
        // runnable (no step between them started, woke or blocked a thread).
        while self.cursor < self.replay_len && self.cursor < self.fp_valid {
            let (k, cur) = (self.cursor, self.cur);
            let next = &self.nodes[k];
            if next.ff == 0
                || self.nodes[cur].ff_end != FfEnd::Budget
                || next.chosen != t
                || next.prev != Some(t)
                || !same_tids(&next.enabled, &self.nodes[cur].enabled)
            {
                break;
            }
            out.push((next.ff, next.line, next.ff_end.slice_end()));
            self.cursor += 1;
            self.cur = k;
        }
        self.wake_cursor = 0;
        self.fast_forwarded += out.len() as u64;
        true
    }

    fn fast_carried(&self) -> &[Touch] {
        self.nodes.get(self.cur).map_or(&[], |n| &n.carry[..])
    }

    fn replay_diverged(&mut self) {
        self.diverged = true;
    }

    fn next_replayed(&self) -> bool {
        self.fast_forward
            && !self.free_running
            && self.cursor < self.replay_len
            && self.cursor < self.fp_valid
            && self.nodes.get(self.cursor).is_some_and(|n| n.ff > 0)
    }
}

#[cfg(test)]
#[path = "dfs_incremental_tests.rs"]
mod incremental_tests;
