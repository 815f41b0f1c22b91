#include "codec/c3p_request.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

#include "codec/internal/c3p_request_parser.h"
#include "codec/xml_reader.h"

namespace conf {
namespace codec {
namespace {

// The status payload that carries a C3pEnvelope: request_id, from, to and
// command name separated by NUL (which no XML value can contain).
constexpr absl::string_view kEnvelopePayloadUrl =
    "type.confstate.invalid/conf.codec.C3pEnvelope";

using internal::Attr;
using internal::FindAttribute;
using internal::In;
using internal::Is;
using internal::IsCccp;
using internal::IsCi;
using internal::IsOurs;
using internal::kKnownNamespaces;
using internal::Ns;

// Whether `s` is empty or only XML white space; stops at the first other
// byte, which in a certificate's base64 is the first.
bool IsAllSpace(absl::string_view s) {
  for (char c : s) {
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
      return false;
  }
  return true;
}

}  // namespace

namespace internal {

// The children a command element may carry, in the order a refused one is
// reported. userEntity may repeat; the others may not.
enum class Slot {
  kConferenceKeys,
  kUserKeys,
  kEndpointKeys,
  kMediaKeys,
  kConferenceInfo,
  kUser,
  kEndpoint,
  kMedia,
  kUserRoles,
  kLocked,
  kAccess,
  kEncryptionKey,
  kUserEntity,
  kNone,  // SlotOf: the child fills no slot
};
constexpr int kSlotCount = static_cast<int>(Slot::kNone);

constexpr uint32_t Bit(Slot s) { return uint32_t{1} << static_cast<int>(s); }

// The slot a child of a command element fills; kNone for a foreign child
// (ignored) or a cccp or conference-info element that fills none (refused).
Slot SlotOf(const XmlElement& c) {
  if (IsCccp(c)) {
    const absl::string_view local = c.local_name;
    if (local == "conferenceKeys")
      return Slot::kConferenceKeys;
    if (local == "userKeys")
      return Slot::kUserKeys;
    if (local == "endpointKeys")
      return Slot::kEndpointKeys;
    if (local == "mediaKeys")
      return Slot::kMediaKeys;
    if (local == "locked")
      return Slot::kLocked;
    if (local == "access")
      return Slot::kAccess;
    if (local == "userEntity")
      return Slot::kUserEntity;
  } else if (IsCi(c)) {
    const absl::string_view local = c.local_name;
    if (local == "conference-info")
      return Slot::kConferenceInfo;
    if (local == "user")
      return Slot::kUser;
    if (local == "endpoint")
      return Slot::kEndpoint;
    if (local == "media")
      return Slot::kMedia;
    if (local == "user-roles")
      return Slot::kUserRoles;
  } else if (Is(c, Ns::kMsci, "encryption-key")) {
    return Slot::kEncryptionKey;
  }
  return Slot::kNone;
}

// A command element's children by slot, and its mscp:mcuUri.
struct CommandSlots {
  const XmlElement* operator[](Slot s) const {
    return element[static_cast<int>(s)];
  }
  const XmlElement* element[kSlotCount] = {};  // userEntity: the first
  std::vector<const XmlElement*> user_entities;
  uint32_t filled = 0;  // Bit() of each slot with a child
  absl::string_view mcu_uri;
};

}  // namespace internal

namespace {

using internal::Bit;
using internal::CommandSlots;
using internal::Slot;
using internal::SlotOf;

// One row per C3pCommand except kUnknown, in enumerator order: the element
// name, the slots the command accepts (a child in any other is refused
// before the command reads anything) and the command's parser.
struct CommandRow {
  C3pCommand command;
  absl::string_view name;
  uint32_t accepts;
  absl::Status (C3pRequestParser::*parse)(const XmlElement& e,
                                          const CommandSlots& s);
};

using Parser = C3pRequestParser;

constexpr CommandRow kCommands[] = {
    {C3pCommand::kAddConference, "addConference", Bit(Slot::kConferenceInfo),
     &Parser::ParseAddConference},
    {C3pCommand::kModifyConference, "modifyConference",
     Bit(Slot::kConferenceKeys) | Bit(Slot::kConferenceInfo),
     &Parser::ParseModifyConference},
    {C3pCommand::kDeleteConference, "deleteConference",
     Bit(Slot::kConferenceKeys), &Parser::ParseDeleteConference},
    {C3pCommand::kGetConference, "getConference",
     Bit(Slot::kConferenceKeys) | Bit(Slot::kEncryptionKey),
     &Parser::ParseGetConference},
    {C3pCommand::kGetConferences, "getConferences", 0,
     &Parser::ParseGetConferences},
    {C3pCommand::kGetAvailableMcuTypes, "getAvailableMcuTypes", 0,
     &Parser::ParseEmpty<C3pGetAvailableMcuTypes>},
    {C3pCommand::kGetConferencingCapabilities, "getConferencingCapabilities", 0,
     &Parser::ParseEmpty<C3pGetConferencingCapabilities>},
    // CONFBAS 2.2.3.4 (join) and 2.2.3.15 (dial-out): exactly one user.
    {C3pCommand::kAddUser, "addUser",
     Bit(Slot::kConferenceKeys) | Bit(Slot::kUser), &Parser::ParseAddUser},
    {C3pCommand::kEndorseUser, "endorseUser",
     Bit(Slot::kConferenceKeys) | Bit(Slot::kUserKeys),
     &Parser::ParseEndorseUser},
    {C3pCommand::kSetLobbyAccess, "setLobbyAccess",
     Bit(Slot::kConferenceKeys) | Bit(Slot::kAccess) | Bit(Slot::kUserEntity),
     &Parser::ParseSetLobbyAccess},
    {C3pCommand::kDeleteUser, "deleteUser", Bit(Slot::kUserKeys),
     &Parser::ParseDeleteUser},
    {C3pCommand::kModifyUserRoles, "modifyUserRoles",
     Bit(Slot::kUserKeys) | Bit(Slot::kUserRoles),
     &Parser::ParseModifyUserRoles},
    {C3pCommand::kModifyConferenceLock, "modifyConferenceLock",
     Bit(Slot::kConferenceKeys) | Bit(Slot::kLocked),
     &Parser::ParseModifyConferenceLock},
    // MS traffic uses mediaKeys (PROTOCOL.md §2.3), not the draft's
    // endpointKeys.
    {C3pCommand::kModifyEndpointMedia, "modifyEndpointMedia",
     Bit(Slot::kMediaKeys) | Bit(Slot::kMedia),
     &Parser::ParseModifyEndpointMedia},
    {C3pCommand::kModifyEndpoint, "modifyEndpoint",
     Bit(Slot::kUserKeys) | Bit(Slot::kEndpointKeys) | Bit(Slot::kEndpoint),
     &Parser::ParseModifyEndpoint},
    {C3pCommand::kPing, "ping", 0, &Parser::ParseEmpty<C3pPing>},
};

constexpr bool CommandTableIsInOrder() {
  for (size_t i = 0; i < sizeof(kCommands) / sizeof(kCommands[0]); ++i) {
    if (static_cast<size_t>(kCommands[i].command) != i)
      return false;
  }
  return sizeof(kCommands) / sizeof(kCommands[0]) ==
         static_cast<size_t>(C3pCommand::kUnknown);
}
static_assert(CommandTableIsInOrder(),
              "kCommands must list every C3pCommand but kUnknown, in order");

}  // namespace

absl::string_view C3pCommandName(C3pCommand command) {
  if (command == C3pCommand::kUnknown)
    return "";
  return kCommands[static_cast<size_t>(command)].name;
}

absl::Status C3pRequestParser::ParseConferenceKeys(const XmlElement& e,
                                                   C3pConferenceKeys* k) {
  if (e.first_child != nullptr)
    return Unexpected(*e.first_child, e);
  k->conf_entity = Attr(e, "confEntity");
  if (const XmlAttribute* id = FindAttribute(e, Ns::kMsci, "conference-id")) {
    k->conference_id = id->value;
  }
  // CONFPRO 4.5: the focus factory addresses by msci:conference-id.
  if (k->conf_entity.empty() && k->conference_id.empty()) {
    return Error(e, "conferenceKeys needs confEntity or msci:conference-id");
  }
  return absl::OkStatus();
}

absl::Status C3pRequestParser::RequiredConferenceKeys(const XmlElement& e,
                                                      const CommandSlots& s,
                                                      C3pConferenceKeys* k) {
  const XmlElement* keys = s[Slot::kConferenceKeys];
  if (keys == nullptr)
    return Missing(e, "conferenceKeys");
  return ParseConferenceKeys(*keys, k);
}

absl::Status C3pRequestParser::ParseUserKeys(const XmlElement& e,
                                             C3pUserKeys* k) {
  if (e.first_child != nullptr)
    return Unexpected(*e.first_child, e);
  if (absl::Status s = Required(e, "confEntity", &k->conf_entity); !s.ok()) {
    return s;
  }
  return Required(e, "userEntity", &k->user_entity);
}

absl::Status C3pRequestParser::ParseMediaKeys(const XmlElement& e,
                                              C3pMediaKeys* k) {
  if (e.first_child != nullptr)
    return Unexpected(*e.first_child, e);
  if (absl::Status s = Required(e, "confEntity", &k->conf_entity); !s.ok()) {
    return s;
  }
  if (absl::Status s = Required(e, "userEntity", &k->user_entity); !s.ok()) {
    return s;
  }
  if (absl::Status s = Required(e, "endpointEntity", &k->endpoint_entity);
      !s.ok()) {
    return s;
  }
  return Required(e, "mediaId", &k->media_id);
}
absl::Status C3pRequestParser::ParseCommand(const XmlElement& e) {
  if (request_->command_type == C3pCommand::kUnknown) {
    // Its content is not ours to judge: the answer is notSupported.
    request_->command = C3pUnknownCommand{};
    return absl::OkStatus();
  }
  CommandSlots slots;
  if (const XmlAttribute* a = FindAttribute(e, Ns::kMscp, "mcuUri"))
    slots.mcu_uri = a->value;
  // Foreign children a command has no slot for are ignored; cccp and
  // conference-info children that fill no slot are refused.
  for (const XmlElement* c = e.first_child; c != nullptr; c = c->next_sibling) {
    const Slot slot = SlotOf(*c);
    if (slot == Slot::kNone) {
      if (IsCccp(*c) || IsCi(*c))
        return Unexpected(*c, e);
      continue;
    }
    const int i = static_cast<int>(slot);
    if (slot == Slot::kUserEntity) {
      slots.user_entities.push_back(c);
    } else if (slots.element[i] != nullptr) {
      return Duplicate(*c);
    }
    if (slots.element[i] == nullptr)
      slots.element[i] = c;
    slots.filled |= Bit(slot);
  }
  const CommandRow& row =
      kCommands[static_cast<size_t>(request_->command_type)];
  if (const uint32_t refused = slots.filled & ~row.accepts; refused != 0) {
    return Unexpected(*slots.element[__builtin_ctz(refused)], e);
  }
  return (this->*row.parse)(e, slots);
}

absl::Status C3pRequestParser::ParseAddConference(const XmlElement& e,
                                                  const CommandSlots& s) {
  C3pAddConference cmd;
  const XmlElement* info = s[Slot::kConferenceInfo];
  if (info == nullptr)
    return Missing(e, "conference-info");
  if (absl::Status st = ParseConferenceInfo(*info, &cmd.conference_info);
      !st.ok()) {
    return st;
  }
  request_->command = std::move(cmd);
  return absl::OkStatus();
}

absl::Status C3pRequestParser::ParseModifyConference(const XmlElement& e,
                                                     const CommandSlots& s) {
  C3pModifyConference cmd;
  cmd.mcu_uri = s.mcu_uri;
  if (const XmlElement* keys = s[Slot::kConferenceKeys]) {
    cmd.keys.emplace();
    if (absl::Status st = ParseConferenceKeys(*keys, &*cmd.keys); !st.ok())
      return st;
  }
  const XmlElement* info = s[Slot::kConferenceInfo];
  if (info == nullptr)
    return Missing(e, "conference-info");
  if (absl::Status st = ParseConferenceInfo(*info, &cmd.conference_info);
      !st.ok()) {
    return st;
  }
  request_->command = std::move(cmd);
  return absl::OkStatus();
}

absl::Status C3pRequestParser::ParseDeleteConference(const XmlElement& e,
                                                     const CommandSlots& s) {
  C3pDeleteConference cmd;
  if (absl::Status st = RequiredConferenceKeys(e, s, &cmd.keys); !st.ok())
    return st;
  request_->command = cmd;
  return absl::OkStatus();
}

absl::Status C3pRequestParser::ParseGetConference(const XmlElement& e,
                                                  const CommandSlots& s) {
  C3pGetConference cmd;
  if (absl::Status st = RequiredConferenceKeys(e, s, &cmd.keys); !st.ok())
    return st;
  if (const XmlElement* key = s[Slot::kEncryptionKey]) {
    cmd.has_encryption_key = true;
    const XmlElement* cert = nullptr;
    for (const XmlElement* c = key->first_child; c != nullptr;
         c = c->next_sibling) {
      if (Is(*c, Ns::kMsci, "x509-certificate")) {
        if (cert != nullptr)
          return Duplicate(*c);
        cert = c;
      } else if (IsOurs(*c) || In(*c, Ns::kMsci)) {
        return Unexpected(*c, *key);
      }
    }
    if (cert == nullptr)
      return Missing(*key, "x509-certificate");
    if (absl::Status st = Text(*cert, &cmd.x509_certificate); !st.ok())
      return st;
    if (IsAllSpace(cmd.x509_certificate))
      return Error(*cert, "empty <x509-certificate>");
  }
  request_->command = cmd;
  return absl::OkStatus();
}

absl::Status C3pRequestParser::ParseGetConferences(const XmlElement& e,
                                                   const CommandSlots&) {
  C3pGetConferences cmd;
  if (const XmlAttribute* a = e.FindAttribute("", "static")) {
    if (absl::Status st = Boolean(e, a->value, &cmd.static_only); !st.ok())
      return st;
  }
  request_->command = cmd;
  return absl::OkStatus();
}

absl::Status C3pRequestParser::ParseAddUser(const XmlElement& e,
                                            const CommandSlots& s) {
  C3pAddUser cmd;
  cmd.mcu_uri = s.mcu_uri;
  if (absl::Status st = RequiredConferenceKeys(e, s, &cmd.keys); !st.ok())
    return st;
  const XmlElement* user = s[Slot::kUser];
  if (user == nullptr)
    return Missing(e, "user");
  if (absl::Status st = ParseUser(*user, &cmd.user); !st.ok())
    return st;
  if (cmd.user.entity.empty())
    return Error(*user, "missing attribute entity on <user>");
  request_->command = std::move(cmd);
  return absl::OkStatus();
}

absl::Status C3pRequestParser::ParseEndorseUser(const XmlElement& e,
                                                const CommandSlots& s) {
  C3pEndorseUser cmd;
  if (const XmlElement* user_keys = s[Slot::kUserKeys]) {
    if (const XmlElement* keys = s[Slot::kConferenceKeys])
      return Unexpected(*keys, e);
    if (absl::Status st = ParseUserKeys(*user_keys, &cmd.keys); !st.ok())
      return st;
  } else {
    C3pConferenceKeys keys;
    if (absl::Status st = RequiredConferenceKeys(e, s, &keys); !st.ok())
      return st;
    cmd.keys.conf_entity = keys.conf_entity;
    if (absl::Status st = Required(e, "userEntity", &cmd.keys.user_entity);
        !st.ok()) {
      return st;
    }
  }
  if (const XmlAttribute* result = e.FindAttribute("", "result")) {
    if (result->value != "success") {
      cmd.reason = FindC3pReason(result->value);
      if (!cmd.reason.has_value()) {
        return Error(e, absl::StrCat("unknown endorseUser result \"",
                                     EscapeForError(result->value), "\""));
      }
      cmd.access = C3pLobbyAccess::kDenied;
    }
  }
  request_->command = cmd;
  return absl::OkStatus();
}

absl::Status C3pRequestParser::ParseSetLobbyAccess(const XmlElement& e,
                                                   const CommandSlots& s) {
  C3pSetLobbyAccess cmd;
  if (absl::Status st = RequiredConferenceKeys(e, s, &cmd.keys); !st.ok())
    return st;
  if (s.user_entities.empty())
    return Missing(e, "userEntity");
  for (const XmlElement* u : s.user_entities) {
    absl::string_view entity;
    if (absl::Status st = Text(*u, &entity); !st.ok())
      return st;
    entity = absl::StripAsciiWhitespace(entity);
    if (entity.empty())
      return Error(*u, "empty <userEntity>");
    cmd.user_entities.push_back(entity);
  }
  const XmlElement* access = s[Slot::kAccess];
  if (access == nullptr)
    return Missing(e, "access");
  absl::string_view value;
  if (absl::Status st = Text(*access, &value); !st.ok())
    return st;
  value = absl::StripAsciiWhitespace(value);
  if (value == "granted") {
    cmd.access = C3pLobbyAccess::kGranted;
  } else if (value == "denied") {
    cmd.access = C3pLobbyAccess::kDenied;
  } else {
    return Error(*access, absl::StrCat("expected granted or denied in "
                                       "<access> but found \"",
                                       EscapeForError(value), "\""));
  }
  request_->command = std::move(cmd);
  return absl::OkStatus();
}

absl::Status C3pRequestParser::ParseDeleteUser(const XmlElement& e,
                                               const CommandSlots& s) {
  C3pDeleteUser cmd;
  const XmlElement* keys = s[Slot::kUserKeys];
  if (keys == nullptr)
    return Missing(e, "userKeys");
  if (absl::Status st = ParseUserKeys(*keys, &cmd.keys); !st.ok())
    return st;
  request_->command = cmd;
  return absl::OkStatus();
}

absl::Status C3pRequestParser::ParseModifyUserRoles(const XmlElement& e,
                                                    const CommandSlots& s) {
  C3pModifyUserRoles cmd;
  const XmlElement* keys = s[Slot::kUserKeys];
  if (keys == nullptr)
    return Missing(e, "userKeys");
  if (absl::Status st = ParseUserKeys(*keys, &cmd.keys); !st.ok())
    return st;
  const XmlElement* roles = s[Slot::kUserRoles];
  if (roles == nullptr)
    return Missing(e, "user-roles");
  if (absl::Status st = ParseRoles(*roles, &cmd.roles); !st.ok())
    return st;
  request_->command = std::move(cmd);
  return absl::OkStatus();
}

absl::Status C3pRequestParser::ParseModifyConferenceLock(
    const XmlElement& e, const CommandSlots& s) {
  C3pModifyConferenceLock cmd;
  if (absl::Status st = RequiredConferenceKeys(e, s, &cmd.keys); !st.ok())
    return st;
  const XmlElement* locked = s[Slot::kLocked];
  if (locked == nullptr)
    return Missing(e, "locked");
  absl::string_view value;
  if (absl::Status st = Text(*locked, &value); !st.ok())
    return st;
  if (absl::Status st = Boolean(*locked, value, &cmd.locked); !st.ok())
    return st;
  request_->command = cmd;
  return absl::OkStatus();
}

absl::Status C3pRequestParser::ParseModifyEndpointMedia(const XmlElement& e,
                                                        const CommandSlots& s) {
  C3pModifyEndpointMedia cmd;
  cmd.mcu_uri = s.mcu_uri;
  const XmlElement* keys = s[Slot::kMediaKeys];
  if (keys == nullptr)
    return Missing(e, "mediaKeys");
  if (absl::Status st = ParseMediaKeys(*keys, &cmd.keys); !st.ok())
    return st;
  const XmlElement* media = s[Slot::kMedia];
  if (media == nullptr)
    return Missing(e, "media");
  if (absl::Status st = ParseMedia(*media, &cmd.media); !st.ok())
    return st;
  if (cmd.media.id != cmd.keys.media_id) {
    return Error(*media,
                 absl::StrCat("media id \"", EscapeForError(cmd.media.id),
                              "\" differs from mediaKeys mediaId"));
  }
  request_->command = std::move(cmd);
  return absl::OkStatus();
}

absl::Status C3pRequestParser::ParseModifyEndpoint(const XmlElement& e,
                                                   const CommandSlots& s) {
  C3pModifyEndpoint cmd;
  cmd.mcu_uri = s.mcu_uri;
  const XmlElement* user_keys = s[Slot::kUserKeys];
  const XmlElement* endpoint_keys = s[Slot::kEndpointKeys];
  if (user_keys != nullptr && endpoint_keys != nullptr)
    return Unexpected(*endpoint_keys, e);
  if (user_keys != nullptr) {
    if (absl::Status st = ParseUserKeys(*user_keys, &cmd.keys); !st.ok())
      return st;
  } else if (endpoint_keys != nullptr) {
    if (endpoint_keys->first_child != nullptr)
      return Unexpected(*endpoint_keys->first_child, *endpoint_keys);
    if (absl::Status st =
            Required(*endpoint_keys, "confEntity", &cmd.keys.conf_entity);
        !st.ok()) {
      return st;
    }
    if (absl::Status st =
            Required(*endpoint_keys, "userEntity", &cmd.keys.user_entity);
        !st.ok()) {
      return st;
    }
  } else {
    return Missing(e, "userKeys");
  }
  const XmlElement* endpoint = s[Slot::kEndpoint];
  if (endpoint == nullptr)
    return Missing(e, "endpoint");
  if (absl::Status st = ParseEndpoint(*endpoint, &cmd.endpoint); !st.ok())
    return st;
  if (cmd.endpoint.entity.empty())
    return Error(*endpoint, "missing attribute entity on <endpoint>");
  if (endpoint_keys != nullptr &&
      Attr(*endpoint_keys, "endpointEntity") != cmd.endpoint.entity) {
    return Error(*endpoint,
                 "endpoint entity differs from endpointKeys endpointEntity");
  }
  request_->command = std::move(cmd);
  return absl::OkStatus();
}

absl::Status C3pRequestParser::Parse() {
  const XmlElement& root = doc_.root();
  if (!Is(root, Ns::kCccp, "request")) {
    return Error(root,
                 absl::StrCat("root element <", EscapeForError(root.qname),
                              "> is not a cccp <request>"));
  }
  // The envelope's attributes in one pass over the root's (no two have the
  // same name: XmlDocument refused duplicates), told apart by length first.
  for (const XmlAttribute& a : root.attributes) {
    if (!a.ns_uri.empty())
      continue;
    const absl::string_view local = a.local_name;
    switch (local.size()) {
      case 2:
        if (local == "to")
          request_->to = a.value;
        break;
      case 4:
        if (local == "from")
          request_->from = a.value;
        break;
      case 9:
        if (local == "requestId")
          request_->request_id = a.value;
        break;
      case 10:
        if (local == "C3PVersion")
          request_->c3p_version = a.value;
        break;
      default:
        break;
    }
  }
  // MS-CONFPRO 2.2.2: requestId, from and to are required.
  if (request_->request_id.empty())
    return MissingAttribute(root, "requestId");
  if (request_->from.empty())
    return MissingAttribute(root, "from");
  if (request_->to.empty())
    return MissingAttribute(root, "to");

  const XmlElement* command = root.first_child;
  if (command == nullptr)
    return Error(root, "request carries no command");
  request_->command_name = command->local_name;
  if (command->next_sibling != nullptr) {
    // PROTOCOL.md §1.4: one command per request.
    return Error(*command->next_sibling, "more than one command in a request");
  }
  if (!IsCccp(*command)) {
    return Error(*command,
                 absl::StrCat("command <", EscapeForError(command->qname),
                              "> is not in the cccp namespace"));
  }
  request_->command_type = C3pCommand::kUnknown;
  for (const CommandRow& row : kCommands) {
    if (row.name == command->local_name) {
      request_->command_type = row.command;
      break;
    }
  }
  return ParseCommand(*command);
}

absl::StatusOr<C3pRequest> C3pRequestParser::Run(std::vector<char> body,
                                                 const ParseLimits& limits) {
  absl::StatusOr<XmlDocument> doc =
      XmlDocument::Parse(std::move(body), limits, kKnownNamespaces);
  if (!doc.ok())
    return doc.status();
  C3pRequest request;
  request.document_.emplace(*std::move(doc));
  C3pRequestParser parser(&request);
  if (absl::Status s = parser.Parse(); !s.ok()) {
    if (!request.request_id.empty() && !request.from.empty() &&
        !request.to.empty()) {
      const std::string nul(1, '\0');
      s.SetPayload(
          kEnvelopePayloadUrl,
          absl::Cord(absl::StrCat(request.request_id, nul, request.from, nul,
                                  request.to, nul, request.command_name)));
    }
    return s;
  }
  return request;
}

absl::StatusOr<C3pRequest> ParseC3pRequest(std::vector<char> body,
                                           const ParseLimits& limits) {
  return C3pRequestParser::Run(std::move(body), limits);
}

std::optional<C3pEnvelope> C3pEnvelopeFromStatus(const absl::Status& status) {
  auto payload = status.GetPayload(kEnvelopePayloadUrl);
  if (!payload.has_value())
    return std::nullopt;
  std::vector<std::string> parts =
      absl::StrSplit(std::string(*payload), absl::ByChar('\0'));
  if (parts.size() != 4)
    return std::nullopt;
  return C3pEnvelope{std::move(parts[0]), std::move(parts[1]),
                     std::move(parts[2]), std::move(parts[3])};
}

}  // namespace codec
}  // namespace conf
