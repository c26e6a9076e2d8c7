//! A Python thread state for every thread of the core's runtime, kept for the thread's life.
//!
//! `Python::attach` on a thread without one creates a thread state and destroys it again
//! at the end, which costs an allocation of the interpreter's frame stack (an mmap and
//! munmap) on every backend call: about a fifth of the CPU of a point select, measured with
//! perf. Made once per thread here, the state stays while the thread runs, and each attach
//! only takes the GIL.

use std::cell::Cell;

use pyo3::ffi;

thread_local! {
    /// (gilstate from PyGILState_Ensure, thread state saved by PyEval_SaveThread)
    static KEPT: Cell<Option<(ffi::PyGILState_STATE, *mut ffi::PyThreadState)>> = const { Cell::new(None) };
}

/// Give this thread a Python thread state and release the GIL (keeping the state).
pub fn keep_thread_state() {
    // SAFETY: the interpreter is initialized (checked); Ensure then SaveThread is the
    // documented way to create a thread state and release the GIL while keeping it.
    unsafe {
        if ffi::Py_IsInitialized() == 0 || KEPT.with(|k| k.get()).is_some() {
            return;
        }
        let gil = ffi::PyGILState_Ensure();
        let state = ffi::PyEval_SaveThread();
        KEPT.with(|k| k.set(Some((gil, state))));
    }
}

/// Undo `keep_thread_state` before the thread ends.
pub fn drop_thread_state() {
    if let Some((gil, state)) = KEPT.with(|k| k.take()) {
        // SAFETY: the pair came from keep_thread_state on this thread; the interpreter is
        // still running (a finalized one keeps the state: it is gone with the process).
        unsafe {
            if ffi::Py_IsInitialized() != 0 {
                ffi::PyEval_RestoreThread(state);
                ffi::PyGILState_Release(gil);
            }
        }
    }
}
