// A small JSON reader and the string quoting of JSON.stringify, for safetensors headers, config text and tests.
// parse() accepts RFC 8259 JSON (objects, arrays, strings, numbers, true/false/null) given as UTF-8 and keeps object
// members in file order; quote() escapes a string exactly as JavaScript's JSON.stringify does, so headers written
// here are byte for byte those compiler/import/safetensors.ts writes.
// Invariants: parse() never reads past its input, rejects invalid UTF-8, unpaired surrogate escapes, trailing text
// and nesting deeper than kMaxDepth, and reports the byte offset of the first problem.

#pragma once

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace trainc::json {

/** A parse failure: what was wrong and the byte offset where it was found. */
class ParseError : public std::runtime_error {
 public:
  ParseError(const std::string& what, size_t at)
      : std::runtime_error(what + " at byte " + std::to_string(at)), offset(at) {}
  size_t offset;
};

/** One JSON value. Only the fields of its kind are meaningful. */
struct Value {
  enum class Kind { Null, Bool, Number, String, Array, Object };
  Kind kind = Kind::Null;
  bool boolean = false;
  double number = 0;
  std::string text;
  std::vector<Value> items;
  std::vector<std::pair<std::string, Value>> members;

  /** The member named `key` of an object (the last one if repeated, as JSON.parse keeps), or nullptr. */
  const Value* find(std::string_view key) const {
    const Value* found = nullptr;
    for (const auto& m : members) {
      if (m.first == key) found = &m.second;
    }
    return found;
  }
};

/** Deepest nesting of arrays and objects parse() accepts (safetensors headers nest three deep). */
constexpr int kMaxDepth = 64;

namespace detail {

/** Length of the valid UTF-8 sequence starting at text[i], or 0 if it is not one. */
inline size_t utf8_length(std::string_view text, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char b = byte(i);
  if (b < 0x80) return 1;
  size_t n;
  uint32_t min;
  uint32_t cp;
  if ((b & 0xE0) == 0xC0) { n = 2; min = 0x80; cp = b & 0x1F; }
  else if ((b & 0xF0) == 0xE0) { n = 3; min = 0x800; cp = b & 0x0F; }
  else if ((b & 0xF8) == 0xF0) { n = 4; min = 0x10000; cp = b & 0x07; }
  else return 0;
  if (i + n > text.size()) return 0;
  for (size_t k = 1; k < n; k++) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

inline void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

/** Recursive-descent parser over one UTF-8 text. */
class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  Value document() {
    for (size_t i = 0; i < text_.size();) {
      const size_t n = utf8_length(text_, i);
      if (n == 0) throw ParseError("invalid UTF-8", i);
      i += n;
    }
    Value v = value(0);
    skip_space();
    if (at_ < text_.size()) throw ParseError("unexpected text after the value", at_);
    return v;
  }

 private:
  std::string_view text_;
  size_t at_ = 0;

  [[noreturn]] void error(const std::string& what) const { throw ParseError(what, at_); }

  void skip_space() {
    while (at_ < text_.size() && (text_[at_] == ' ' || text_[at_] == '\t' || text_[at_] == '\n' || text_[at_] == '\r')) at_++;
  }

  char peek() {
    skip_space();
    if (at_ >= text_.size()) error("unexpected end of input");
    return text_[at_];
  }

  void expect(char c) {
    if (peek() != c) error(std::string("expected '") + c + "'");
    at_++;
  }

  bool literal(std::string_view word) {
    if (text_.substr(at_, word.size()) != word) return false;
    at_ += word.size();
    return true;
  }

  Value value(int depth) {
    if (depth > kMaxDepth) error("nesting deeper than " + std::to_string(kMaxDepth));
    const char c = peek();
    Value v;
    if (c == '{') return object(depth);
    if (c == '[') return array(depth);
    if (c == '"') {
      v.kind = Value::Kind::String;
      v.text = string();
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      v.kind = Value::Kind::Number;
      v.number = number();
    } else if (literal("true")) {
      v.kind = Value::Kind::Bool;
      v.boolean = true;
    } else if (literal("false")) {
      v.kind = Value::Kind::Bool;
    } else if (!literal("null")) {
      error("unexpected character");
    }
    return v;
  }

  Value object(int depth) {
    Value v;
    v.kind = Value::Kind::Object;
    expect('{');
    if (peek() == '}') { at_++; return v; }
    for (;;) {
      if (peek() != '"') error("expected a string key");
      std::string key = string();
      expect(':');
      v.members.emplace_back(std::move(key), value(depth + 1));
      if (peek() == ',') { at_++; continue; }
      expect('}');
      return v;
    }
  }

  Value array(int depth) {
    Value v;
    v.kind = Value::Kind::Array;
    expect('[');
    if (peek() == ']') { at_++; return v; }
    for (;;) {
      v.items.push_back(value(depth + 1));
      if (peek() == ',') { at_++; continue; }
      expect(']');
      return v;
    }
  }

  bool digits() {
    const size_t start = at_;
    while (at_ < text_.size() && text_[at_] >= '0' && text_[at_] <= '9') at_++;
    return at_ > start;
  }

  double number() {
    const size_t start = at_;
    if (text_[at_] == '-') at_++;
    if (at_ < text_.size() && text_[at_] == '0') at_++;
    else if (!digits()) error("malformed number");
    if (at_ < text_.size() && text_[at_] == '.') {
      at_++;
      if (!digits()) error("malformed number");
    }
    if (at_ < text_.size() && (text_[at_] == 'e' || text_[at_] == 'E')) {
      at_++;
      if (at_ < text_.size() && (text_[at_] == '+' || text_[at_] == '-')) at_++;
      if (!digits()) error("malformed number");
    }
    double out = 0;
    const std::string_view literal_text = text_.substr(start, at_ - start);
    const auto result = std::from_chars(literal_text.data(), literal_text.data() + literal_text.size(), out);
    if (result.ec == std::errc::result_out_of_range) {
      const double magnitude = decimal_exponent(literal_text) > 0 ? HUGE_VAL : 0.0;
      return literal_text[0] == '-' ? -magnitude : magnitude;
    }
    return out;
  }

  /** Roughly log10 of a well-formed number literal's magnitude (only its sign matters: overflow or underflow). */
  static long decimal_exponent(std::string_view literal_text) {
    const size_t e = literal_text.find_first_of("eE");
    const std::string_view mantissa = literal_text.substr(0, e);
    long exponent = 0;
    if (e != std::string_view::npos) {
      const std::string_view digits_text = literal_text.substr(e + 1);
      const bool negative = digits_text[0] == '-';
      for (const char c : digits_text.substr(digits_text[0] == '-' || digits_text[0] == '+' ? 1 : 0)) {
        exponent = std::min(exponent * 10 + (c - '0'), 100000L);
      }
      if (negative) exponent = -exponent;
    }
    const size_t first = mantissa.find_first_of("123456789");
    const size_t point = std::min(mantissa.find('.'), mantissa.size());
    if (first == std::string_view::npos) return -100000;
    return exponent + (first < point ? static_cast<long>(point - first) - 1 : -static_cast<long>(first - point));
  }

  uint32_t hex4() {
    if (at_ + 4 > text_.size()) error("truncated \\u escape");
    uint32_t v = 0;
    for (int k = 0; k < 4; k++) {
      const char h = text_[at_++];
      v <<= 4;
      if (h >= '0' && h <= '9') v |= h - '0';
      else if (h >= 'a' && h <= 'f') v |= h - 'a' + 10;
      else if (h >= 'A' && h <= 'F') v |= h - 'A' + 10;
      else error("bad \\u escape");
    }
    return v;
  }

  uint32_t escaped_code_point() {
    uint32_t cp = hex4();
    if (cp >= 0xDC00 && cp <= 0xDFFF) error("unpaired surrogate escape");
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      if (!literal("\\u")) error("unpaired surrogate escape");
      const uint32_t low = hex4();
      if (low < 0xDC00 || low > 0xDFFF) error("unpaired surrogate escape");
      cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    }
    return cp;
  }

  std::string string() {
    at_++;
    std::string out;
    for (;;) {
      if (at_ >= text_.size()) error("unterminated string");
      const char c = text_[at_++];
      if (c == '"') return out;
      if (static_cast<unsigned char>(c) < 0x20) error("control character in a string");
      if (c != '\\') { out += c; continue; }
      if (at_ >= text_.size()) error("unterminated string");
      const char e = text_[at_++];
      switch (e) {
        case '"': case '\\': case '/': out += e; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': append_utf8(out, escaped_code_point()); break;
        default: error("bad escape");
      }
    }
  }
};

}  // namespace detail

/** Parses one JSON document; throws ParseError naming the byte offset of the first problem. */
inline Value parse(std::string_view text) { return detail::Parser(text).document(); }

/** `s` (UTF-8) as JSON.stringify writes a string: quotes, `\" \\ \b \f \n \r \t`, other controls as \u00xx. */
inline std::string quote(std::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (const char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += "\\u00";
          out += kHex[(c >> 4) & 0xF];
          out += kHex[c & 0xF];
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

}  // namespace trainc::json
