//! The life of a widget, or of a page of the merchant console: the work it starts that outlives
//! the call starting it (a request's answer, a timer, the next frame) runs only while it is there.
//!
//! A theme can take a lojal element out of the page at any moment, and its `free()` disposes of
//! the widget's signals at once; a merchant can leave a console page while its save is on the
//! way, and the router disposes of the page's. Reading a disposed signal panics, and a panic in
//! a wasm that serves every element of its families (or the whole console) traps in the middle
//! of the reactive runtime's work. So neither `spawn_local`s nor `set_timeout`s itself: each asks
//! its `Life`, which drops the work, unrun, once its owner is gone.

use leptos::prelude::*;
use std::future::Future;
use std::task::Poll;
use std::time::Duration;

/// Made by a widget's root (under the owner that the element's `free()` disposes of) or by a
/// console page; copied into whatever needs it.
#[derive(Clone, Copy)]
pub struct Life(StoredValue<()>);

impl Life {
    /// Lasts as long as the current reactive owner.
    pub fn new() -> Self {
        Self(StoredValue::new(()))
    }

    pub fn is_over(self) -> bool {
        self.0.is_disposed()
    }

    /// Runs `task`, which stops at its next `.await` once the widget is gone: nothing after that
    /// point runs. A request already sent goes on in the browser; only its answer is ignored.
    pub fn spawn(self, task: impl Future<Output = ()> + 'static) {
        let mut task = Box::pin(task);
        leptos::task::spawn_local(std::future::poll_fn(move |context| {
            if self.is_over() {
                Poll::Ready(())
            } else {
                task.as_mut().poll(context)
            }
        }));
    }

    /// Runs `work` after `delay`, if the widget is still there.
    pub fn after(self, delay: Duration, work: impl FnOnce() + 'static) {
        set_timeout(
            move || {
                if !self.is_over() {
                    work();
                }
            },
            delay,
        );
    }

    /// Runs `work` before the next frame is painted, if the widget is still there.
    pub fn next_frame(self, work: impl FnOnce() + 'static) {
        request_animation_frame(move || {
            if !self.is_over() {
                work();
            }
        });
    }
}

impl Default for Life {
    fn default() -> Self {
        Self::new()
    }
}
