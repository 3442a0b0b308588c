#include "core/api/json_printer.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include <charconv>
#include <cmath>
#include <cstdio>

namespace berth::api {

namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

void printString(const std::string& s, std::string& out) {
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          char escaped[8];
          std::snprintf(escaped, sizeof(escaped), "\\u%04x", c);
          out += escaped;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

void printBase64(const std::string& bytes, std::string& out) {
  static const char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  out += '"';
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t n =
        (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8) | uint8_t(bytes[i + 2]);
    for (int shift : {18, 12, 6, 0})
      out += kAlphabet[(n >> shift) & 63];
  }
  if (i < bytes.size()) {
    uint32_t n = uint8_t(bytes[i]) << 16;
    if (i + 1 < bytes.size()) n |= uint8_t(bytes[i + 1]) << 8;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < bytes.size() ? kAlphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  out += '"';
}

template <class T>
void printNumber(T value, std::string& out) {
  if constexpr (std::is_floating_point_v<T>) {
    if (!std::isfinite(value)) {
      out += "null";
      return;
    }
  }
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  out.append(buffer, result.ptr);
}

void printMessage(const Message& message, std::string& out);

// One value of `field`: element `index` of a repeated field, or the field itself (-1).
void printValue(const Message& message, const FieldDescriptor* field, int index, std::string& out) {
  const Reflection* r = message.GetReflection();
  const bool repeated = index >= 0;
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      return printNumber(
          repeated ? r->GetRepeatedInt32(message, field, index) : r->GetInt32(message, field), out);
    case FieldDescriptor::CPPTYPE_INT64:
      return printNumber(
          repeated ? r->GetRepeatedInt64(message, field, index) : r->GetInt64(message, field), out);
    case FieldDescriptor::CPPTYPE_UINT32:
      return printNumber(
          repeated ? r->GetRepeatedUInt32(message, field, index) : r->GetUInt32(message, field),
          out);
    case FieldDescriptor::CPPTYPE_UINT64:
      return printNumber(
          repeated ? r->GetRepeatedUInt64(message, field, index) : r->GetUInt64(message, field),
          out);
    case FieldDescriptor::CPPTYPE_DOUBLE:
      return printNumber(
          repeated ? r->GetRepeatedDouble(message, field, index) : r->GetDouble(message, field),
          out);
    case FieldDescriptor::CPPTYPE_FLOAT:
      return printNumber(
          repeated ? r->GetRepeatedFloat(message, field, index) : r->GetFloat(message, field), out);
    case FieldDescriptor::CPPTYPE_BOOL:
      out += (repeated ? r->GetRepeatedBool(message, field, index) : r->GetBool(message, field))
                 ? "true"
                 : "false";
      return;
    case FieldDescriptor::CPPTYPE_ENUM: {
      const int number = repeated ? r->GetRepeatedEnumValue(message, field, index)
                                  : r->GetEnumValue(message, field);
      const auto* value = field->enum_type()->FindValueByNumber(number);
      if (value != nullptr) return printString(value->name(), out);
      return printNumber(number, out);
    }
    case FieldDescriptor::CPPTYPE_STRING: {
      const std::string text =
          repeated ? r->GetRepeatedString(message, field, index) : r->GetString(message, field);
      if (field->type() == FieldDescriptor::TYPE_BYTES) return printBase64(text, out);
      return printString(text, out);
    }
    case FieldDescriptor::CPPTYPE_MESSAGE:
      return printMessage(
          repeated ? r->GetRepeatedMessage(message, field, index) : r->GetMessage(message, field),
          out);
  }
}

void printMessage(const Message& message, std::string& out) {
  const Reflection* r = message.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  r->ListFields(message, &fields);  // set fields, by number
  out += '{';
  bool first = true;
  for (const FieldDescriptor* field : fields) {
    if (!first) out += ',';
    first = false;
    printString(field->name(), out);
    out += ':';
    if (!field->is_repeated()) {
      printValue(message, field, -1, out);
      continue;
    }
    out += '[';
    const int size = r->FieldSize(message, field);
    for (int i = 0; i < size; ++i) {
      if (i > 0) out += ',';
      printValue(message, field, i, out);
    }
    out += ']';
  }
  out += '}';
}

}  // namespace

std::string printJson(const Message& message) {
  std::string out;
  printMessage(message, out);
  return out;
}

}  // namespace berth::api
