#include "codec/internal/xsd_values.h"

#include <cstddef>
#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/string_view.h"

namespace conf {
namespace codec {
namespace internal {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// `n` digits at `*s`, consumed into `*value`; false if there are fewer.
bool Digits(absl::string_view* s, size_t n, int* value) {
  if (s->size() < n) {
    return false;
  }
  int v = 0;
  for (size_t i = 0; i < n; ++i) {
    if (!IsDigit((*s)[i])) {
      return false;
    }
    v = v * 10 + ((*s)[i] - '0');
  }
  *value = v;
  s->remove_prefix(n);
  return true;
}

// Consumes `c` at the front of `*s`.
bool Skip(absl::string_view* s, char c) {
  if (s->empty() || s->front() != c) {
    return false;
  }
  s->remove_prefix(1);
  return true;
}

int DaysInMonth(int64_t year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30,
                                  31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || (year % 400 == 0);
  return month == 2 && leap ? 29 : kDays[month - 1];
}

// The characters an RFC 3986 reg-name, path, query or fragment may hold
// once libxml2 has replaced the ones no URI may hold: everything printable
// but '[' and ']' ('%' is checked on its own).
bool HasBrackets(absl::string_view s) {
  return s.find_first_of("[]") != absl::string_view::npos;
}

// authority = [ userinfo "@" ] host [ ":" port ] (RFC 3986 §3.2).
bool IsAuthority(absl::string_view a) {
  const size_t at = a.find('@');
  if (at != absl::string_view::npos) {
    if (a.find('@', at + 1) != absl::string_view::npos ||
        HasBrackets(a.substr(0, at))) {
      return false;
    }
    a.remove_prefix(at + 1);
  }
  if (!a.empty() && a.front() == '[') {
    const size_t close = a.find(']');
    if (close == absl::string_view::npos) {
      return false;
    }
    a.remove_prefix(close + 1);
    if (a.empty()) {
      return true;
    }
    if (a.front() != ':') {
      return false;
    }
  } else {
    const size_t colon = a.find(':');
    if (HasBrackets(a.substr(0, colon))) {
      return false;
    }
    if (colon == absl::string_view::npos) {
      return true;
    }
    a.remove_prefix(colon);
  }
  a.remove_prefix(1);  // ':'
  if (a.empty()) {
    return false;  // libxml2 wants a digit after the colon
  }
  for (char c : a) {
    if (!IsDigit(c)) {
      return false;
    }
  }
  return true;
}

}  // namespace

bool IsXsDateTime(absl::string_view s) {
  Skip(&s, '-');
  // The year: four digits or more, no leading zero beyond four, not 0000.
  size_t year_digits = 0;
  while (year_digits < s.size() && IsDigit(s[year_digits])) {
    ++year_digits;
  }
  if (year_digits < 4 || year_digits > 12 ||
      (year_digits > 4 && s.front() == '0')) {
    return false;
  }
  int64_t year = 0;
  for (size_t i = 0; i < year_digits; ++i) {
    year = year * 10 + (s[i] - '0');
  }
  if (year == 0) {
    return false;
  }
  s.remove_prefix(year_digits);
  int month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!Skip(&s, '-') || !Digits(&s, 2, &month) || month < 1 || month > 12 ||
      !Skip(&s, '-') || !Digits(&s, 2, &day) || day < 1 ||
      day > DaysInMonth(year, month) || !Skip(&s, 'T') ||
      !Digits(&s, 2, &hour) || hour > 23 || !Skip(&s, ':') ||
      !Digits(&s, 2, &minute) || minute > 59 || !Skip(&s, ':') ||
      !Digits(&s, 2, &second) || second > 59) {
    return false;
  }
  if (Skip(&s, '.')) {
    size_t fraction = 0;
    while (fraction < s.size() && IsDigit(s[fraction])) {
      ++fraction;
    }
    if (fraction == 0) {
      return false;
    }
    s.remove_prefix(fraction);
  }
  if (s.empty() || s == "Z") {
    return true;
  }
  int zone_hours = 0, zone_minutes = 0;
  if (!(Skip(&s, '+') || Skip(&s, '-')) || !Digits(&s, 2, &zone_hours) ||
      !Skip(&s, ':') || !Digits(&s, 2, &zone_minutes) || !s.empty()) {
    return false;
  }
  return zone_minutes <= 59 && zone_hours * 60 + zone_minutes <= 14 * 60;
}

bool IsXsLanguage(absl::string_view s) {
  size_t part = 0;  // characters in the current subtag
  bool first = true;
  for (char c : s) {
    if (c == '-') {
      if (part == 0) {
        return false;
      }
      part = 0;
      first = false;
      continue;
    }
    const bool ok = absl::ascii_isalpha(static_cast<unsigned char>(c)) ||
                    (!first && IsDigit(c));
    if (!ok || ++part > 8) {
      return false;
    }
  }
  return part > 0;
}

bool IsXsAnyUri(absl::string_view s) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' &&
        (i + 2 >= s.size() ||
         !absl::ascii_isxdigit(static_cast<unsigned char>(s[i + 1])) ||
         !absl::ascii_isxdigit(static_cast<unsigned char>(s[i + 2])))) {
      return false;
    }
  }
  const size_t hash = s.find('#');
  if (hash != absl::string_view::npos) {
    if (s.find('#', hash + 1) != absl::string_view::npos) {
      return false;
    }
    s = s.substr(0, hash);
  }
  // A ':' before the first '/' or '?' ends a scheme, which must start with
  // a letter and go on with letters, digits, '+', '-' and '.'; a relative
  // reference has no ':' in its first segment.
  const size_t colon = s.find(':');
  if (colon != absl::string_view::npos && colon < s.find_first_of("/?")) {
    if (colon == 0 ||
        !absl::ascii_isalpha(static_cast<unsigned char>(s.front()))) {
      return false;
    }
    for (char c : s.substr(0, colon)) {
      if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '+' &&
          c != '-' && c != '.') {
        return false;
      }
    }
    s.remove_prefix(colon + 1);
  }
  if (s.size() >= 2 && s[0] == '/' && s[1] == '/') {
    s.remove_prefix(2);
    const size_t end = s.find_first_of("/?");
    if (!IsAuthority(s.substr(0, end))) {
      return false;
    }
    s = end == absl::string_view::npos ? absl::string_view() : s.substr(end);
  }
  return !HasBrackets(s);
}

}  // namespace internal
}  // namespace codec
}  // namespace conf
