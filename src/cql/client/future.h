// Future<T> and Promise<T>: the results of asynchronous driver calls.
//
// A Future is completed once, by the driver's event-loop thread (or at once, for an error found
// before anything was sent). Three ways to consume it:
//   - get(): block the calling thread until the result is there (the synchronous layer);
//   - then(f): run f(Result<T>) on the completing thread, or at once if already complete. f must be
//     quick and must not block: it runs on an event loop;
//   - co_await future: in a C++20 coroutine; the coroutine resumes on the completing thread.
// Only one of then() and co_await may be used per future; get() may be called any number of
// times, also after them. Copies of a Future share one state. Thread-safe.
#pragma once

#include <condition_variable>
#include <coroutine>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>

#include "base/check.h"
#include "base/result.h"

namespace sluice::cql {

namespace detail {

template <class T>
struct FutureState {
  std::mutex mu;
  std::condition_variable cv;
  std::optional<Result<T>> result;
  std::function<void(const Result<T>&)> callback;

  void complete(Result<T> value) {
    std::function<void(const Result<T>&)> cb;
    {
      std::lock_guard lock(mu);
      SLUICE_CHECK(!result.has_value(), "a promise was completed twice");
      result.emplace(std::move(value));
      cb = std::move(callback);
    }
    cv.notify_all();
    if (cb) cb(*result);  // result is never written again: reading it unlocked is safe
  }
};

}  // namespace detail

template <class T>
class Future {
 public:
  Future() = default;  // invalid: valid() is false
  explicit Future(std::shared_ptr<detail::FutureState<T>> state) : state_(std::move(state)) {}

  // A future that is already complete.
  static Future ready(Result<T> value) {
    auto state = std::make_shared<detail::FutureState<T>>();
    state->result.emplace(std::move(value));
    return Future(std::move(state));
  }

  bool valid() const { return state_ != nullptr; }

  bool is_ready() const {
    std::lock_guard lock(state_->mu);
    return state_->result.has_value();
  }

  // Blocks until complete; returns a copy of the result (the future stays readable).
  Result<T> get() const {
    std::unique_lock lock(state_->mu);
    state_->cv.wait(lock, [&] { return state_->result.has_value(); });
    return *state_->result;
  }

  template <class F>
  void then(F&& f) {
    std::unique_lock lock(state_->mu);
    if (state_->result.has_value()) {
      lock.unlock();
      f(*state_->result);
      return;
    }
    SLUICE_CHECK(!state_->callback, "then() or co_await used twice on one future");
    state_->callback = std::forward<F>(f);
  }

  // ---- C++20 coroutine support ----
  bool await_ready() const { return is_ready(); }
  void await_suspend(std::coroutine_handle<> handle) {
    then([handle](const Result<T>&) { handle.resume(); });
  }
  Result<T> await_resume() const { return get(); }

 private:
  std::shared_ptr<detail::FutureState<T>> state_;
};

template <class T>
class Promise {
 public:
  Promise() : state_(std::make_shared<detail::FutureState<T>>()) {}
  Future<T> future() const { return Future<T>(state_); }
  // Completes the future; runs its then() callback, if any, on this thread. Call once.
  void set(Result<T> value) const { state_->complete(std::move(value)); }

 private:
  std::shared_ptr<detail::FutureState<T>> state_;
};

}  // namespace sluice::cql
