#pragma once
// A value kept on the heap with value semantics (copies copy it): a large,
// rare alternative of a variant then costs one pointer in every other one.

#include <memory>
#include <type_traits>
#include <utility>
#include <variant>

namespace cafflow {

template <class T> class boxed {
public:
  boxed() : p_(std::make_unique<T>()) {}
  boxed(T value) : p_(std::make_unique<T>(std::move(value))) {} // NOLINT: implicit by design
  boxed(const boxed& other) : p_(std::make_unique<T>(*other.p_)) {}
  boxed(boxed&&) noexcept = default;
  boxed& operator=(const boxed& other) {
    if (this != &other)
      p_ = std::make_unique<T>(*other.p_);
    return *this;
  }
  boxed& operator=(boxed&&) noexcept = default;
  ~boxed() = default;

  // A moved-from box is only ever assigned to or destroyed.
  const T& get() const { return *p_; }
  T& get() { return *p_; }
  operator const T&() const { return *p_; } // NOLINT: implicit by design
  operator T&() { return *p_; }             // NOLINT
  const T* operator->() const { return p_.get(); }
  T* operator->() { return p_.get(); }

private:
  std::unique_ptr<T> p_;
};

/// The `T` held by `v`, whether the variant holds it as `T` or as
/// `boxed<T>`; nullptr when it holds another alternative.
template <class T, class... Ts> const T* get_if_maybe_boxed(const std::variant<Ts...>& v) {
  if constexpr ((std::is_same_v<Ts, boxed<T>> || ...)) {
    const auto* b = std::get_if<boxed<T>>(&v);
    return b != nullptr ? &b->get() : nullptr;
  } else {
    return std::get_if<T>(&v);
  }
}

} // namespace cafflow
