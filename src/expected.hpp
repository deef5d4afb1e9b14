// expected<T>: a value or a cafflow::error, for the CAF-free core. The actor
// layer converts it to caf::expected / caf::error at its boundary.
#pragma once

#include <cassert>
#include <utility>
#include <variant>

#include "error.hpp"

namespace cafflow {

template <class T>
class expected {
public:
  expected(T value) : storage_(std::move(value)) {}
  expected(cafflow::error err) : storage_(std::move(err)) {
    assert(std::get<1>(storage_).code != ec::none);
  }

  bool has_value() const { return storage_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & { return std::get<0>(storage_); }
  const T& value() const& { return std::get<0>(storage_); }
  T&& value() && { return std::get<0>(std::move(storage_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const cafflow::error& error() const { return std::get<1>(storage_); }

private:
  std::variant<T, cafflow::error> storage_;
};

/// The result of an operation that yields nothing but may fail.
template <>
class expected<void> {
public:
  expected() = default;
  expected(cafflow::error err) : error_(std::move(err)) {}

  bool has_value() const { return error_.code == ec::none; }
  explicit operator bool() const { return has_value(); }
  const cafflow::error& error() const { return error_; }

private:
  cafflow::error error_;
};

} // namespace cafflow
