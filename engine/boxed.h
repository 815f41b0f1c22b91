// Boxed<T> and BoxedVector<T>: an optional value and a list stored out of
// line, one pointer each, shared by copies and copied on the first write to
// a shared one. The model's per-user objects hold their rarely present parts
// in them (engine/model.h), which keeps a user with one endpoint small and
// makes copying a view update reference counts rather than allocate.
//
// Thread safety: as for std::shared_ptr, copies may be made and destroyed
// concurrently; a shared value is never modified.

#ifndef CONF_ENGINE_BOXED_H_
#define CONF_ENGINE_BOXED_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <utility>
#include <vector>

namespace conf {
namespace engine {

namespace internal {
// Names the reference count of a box for the store's prefetches
// (engine/internal/prefetch.h).
class PrefetchAccess;
}  // namespace internal

// ---------------------------------------------------------------------------
// Boxed<T>: an optional value stored out of line.

// Behaves like std::optional<T> (has_value, operator bool, *, ->, value,
// assignment from T, std::nullopt or std::optional<T>, emplace, reset, ==)
// but costs one pointer, and copies share the boxed value (a reference count
// in the box). Used for rarely present parts of per-user objects, which keeps
// a user with one endpoint small. Non-const access copies the value first if
// it is shared (copy on write), so a shared box is never modified. Copies may
// be made and destroyed concurrently, as for std::shared_ptr.
template <typename T>
class Boxed {
 public:
  Boxed() = default;
  Boxed(std::nullopt_t) {}  // NOLINT(google-explicit-constructor)
  Boxed(T value)            // NOLINT(google-explicit-constructor)
      : node_(new Node(std::move(value))) {}
  Boxed(std::optional<T> value) {  // NOLINT(google-explicit-constructor)
    if (value.has_value()) {
      node_ = new Node(*std::move(value));
    }
  }
  Boxed(const Boxed& other) : node_(other.node_) {
    if (node_ != nullptr) {
      node_->refs.fetch_add(1, std::memory_order_relaxed);
    }
  }
  Boxed(Boxed&& other) noexcept : node_(other.node_) { other.node_ = nullptr; }
  Boxed& operator=(const Boxed& other) {
    Boxed copy(other);
    std::swap(node_, copy.node_);
    return *this;
  }
  Boxed& operator=(Boxed&& other) noexcept {
    Boxed moved(std::move(other));
    std::swap(node_, moved.node_);
    return *this;
  }
  ~Boxed() { Unref(); }

  Boxed& operator=(std::nullopt_t) {
    reset();
    return *this;
  }
  Boxed& operator=(T value) {
    Boxed boxed(std::move(value));
    std::swap(node_, boxed.node_);
    return *this;
  }

  bool has_value() const { return node_ != nullptr; }
  explicit operator bool() const { return has_value(); }

  // Requires has_value().
  const T& operator*() const { return node_->value; }
  const T* operator->() const { return &node_->value; }
  const T& value() const { return node_->value; }
  T& operator*() { return *Mutable(); }
  T* operator->() { return Mutable(); }
  T& value() { return *Mutable(); }

  template <typename... Args>
  T& emplace(Args&&... args) {
    Boxed boxed;
    boxed.node_ = new Node(std::forward<Args>(args)...);
    std::swap(node_, boxed.node_);
    return node_->value;
  }
  void reset() {
    Unref();
    node_ = nullptr;
  }

  friend bool operator==(const Boxed& a, const Boxed& b) {
    if (a.node_ == b.node_) {
      return true;
    }
    if (a.node_ == nullptr || b.node_ == nullptr) {
      return false;
    }
    return a.node_->value == b.node_->value;
  }
  friend bool operator!=(const Boxed& a, const Boxed& b) { return !(a == b); }
  friend bool operator==(const Boxed& a, std::nullopt_t) {
    return !a.has_value();
  }
  friend bool operator!=(const Boxed& a, std::nullopt_t) {
    return a.has_value();
  }

 private:
  friend class internal::PrefetchAccess;

  struct Node {
    template <typename... Args>
    explicit Node(Args&&... args) : value(std::forward<Args>(args)...) {}
    std::atomic<uint32_t> refs{1};
    T value;
  };

  void Unref() {
    if (node_ != nullptr &&
        node_->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      delete node_;
    }
  }
  T* Mutable() {
    // Acquire: if another box just released its share, its writes to the
    // value happened before this one modifies it.
    if (node_->refs.load(std::memory_order_acquire) != 1) {
      Node* copy = new Node(node_->value);
      Unref();
      node_ = copy;
    }
    return &node_->value;
  }

  Node* node_ = nullptr;
};

// ---------------------------------------------------------------------------
// BoxedVector<T>: a list stored out of line.

// A std::vector<T> that costs one pointer, for lists of per-user objects that
// are usually empty (extensions, extension attributes, associated-aors,
// languages). The vector is created by the first insertion; copies share it
// and non-const access copies it first if it is shared (copy on write, as
// Boxed). Converts implicitly to `const std::vector<T>&` (a static empty
// vector when unset), so functions that read a vector accept it. Iterators
// and references are invalidated by any non-const call, as for std::vector
// (the first one on a shared list also moves its elements).
template <typename T>
class BoxedVector {
 public:
  using value_type = T;
  using size_type = size_t;
  using iterator = typename std::vector<T>::iterator;
  using const_iterator = typename std::vector<T>::const_iterator;
  using reference = T&;
  using const_reference = const T&;

  BoxedVector() = default;
  BoxedVector(std::vector<T> list) {  // NOLINT(google-explicit-constructor)
    if (!list.empty()) {
      box_ = std::move(list);
    }
  }
  BoxedVector(std::initializer_list<T> list)
      : BoxedVector(std::vector<T>(list)) {}

  // The list; valid until the next non-const call.
  const std::vector<T>& get() const {
    return box_.has_value() ? *box_ : Empty();
  }
  operator const std::vector<T>&()
      const {  // NOLINT(google-explicit-constructor)
    return get();
  }

  bool empty() const { return get().empty(); }
  size_t size() const { return get().size(); }
  const_iterator begin() const { return get().begin(); }
  const_iterator end() const { return get().end(); }
  iterator begin() { return Mutable().begin(); }
  iterator end() { return Mutable().end(); }
  const T& operator[](size_t i) const { return get()[i]; }
  T& operator[](size_t i) { return Mutable()[i]; }
  const T& front() const { return get().front(); }
  const T& back() const { return get().back(); }
  T& front() { return Mutable().front(); }
  T& back() { return Mutable().back(); }

  void push_back(const T& value) { Mutable().push_back(value); }
  void push_back(T&& value) { Mutable().push_back(std::move(value)); }
  template <typename... Args>
  T& emplace_back(Args&&... args) {
    return Mutable().emplace_back(std::forward<Args>(args)...);
  }
  void reserve(size_t n) {
    if (n > 0) {
      Mutable().reserve(n);
    }
  }
  iterator erase(const_iterator first, const_iterator last) {
    return Mutable().erase(first, last);
  }
  iterator erase(const_iterator pos) { return Mutable().erase(pos); }
  void clear() { box_.reset(); }

  friend bool operator==(const BoxedVector& a, const BoxedVector& b) {
    return a.box_ == b.box_ || a.get() == b.get();
  }
  friend bool operator!=(const BoxedVector& a, const BoxedVector& b) {
    return !(a == b);
  }

 private:
  friend class internal::PrefetchAccess;

  static const std::vector<T>& Empty() {
    static const std::vector<T>* const kEmpty = new std::vector<T>();
    return *kEmpty;
  }
  std::vector<T>& Mutable() {
    if (!box_.has_value()) {
      box_.emplace();
    }
    return *box_;
  }

  Boxed<std::vector<T>> box_;
};

}  // namespace engine
}  // namespace conf

#endif  // CONF_ENGINE_BOXED_H_
