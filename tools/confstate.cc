// confstate: runs C3P requests against an embedded focus, decrypts CMS blobs,
// validates conference-info documents and checks, prints and repairs a state
// directory's journal.
//
//   confstate run [--state-dir=DIR] [--subscribe=USER] [--as=USER]
//                 REQUEST_FILE...
//       Sends each file's C3P request, in order, to a fresh focus and prints
//       each response. With --state-dir the focus is durable: it recovers DIR
//       first and journals every change there, so two runs in a row continue
//       the same conferences. A file may start with a line `# as: sip:...`
//       naming the authenticated identity (default: --as, else the request's
//       `from`). With --subscribe, USER is subscribed to the addressed
//       conference as soon as it may be, and every notification document it
//       receives is printed in delivery order after the response that caused
//       it.
//   confstate decrypt --key=KEY.pem [--cert=CERT.pem] BLOB
//       Decrypts a CMS EnvelopedData blob (base64, as in msci:cms-data, or
//       DER) with a PKCS#8 PEM private key: prints the content, or
//       `key <hex>` (the content-encryption key) when the content is empty
//       (the conference key). With --cert, first checks that the blob is
//       addressed to that certificate (issuer and serial number).
//   confstate validate DOC.xml
//       Checks a conference-info document's structure.
//   confstate journal verify DIR
//       Checks every segment, record and snapshot of state directory DIR,
//       changing nothing: prints a summary line (segments, records, snapshot
//       covered, last sequence), or the first problem (file, offset, last
//       good record's version; "torn tail" for a torn tail).
//   confstate journal dump DIR
//       Prints the newest whole snapshot's entries, then every record after
//       it, as JSON lines with the secrets "<redacted>" (no node key
//       needed). A torn or corrupt directory: the lines before the problem,
//       then the problem on stderr.
//   confstate journal repair DIR [--truncate]
//       Says what cutting the journal at its first bad record would drop
//       (file, offset, bytes, records); with --truncate, cuts it there
//       (removing every later segment) so that DIR opens again. Never
//       touches a clean directory. Stop the process using DIR first.
//   (tools/journal_commands.h; docs/JOURNAL.md, "Operators' tools".)
//
// Exit status: 0 on success; 1 when a request fails, a blob cannot be
// decrypted, a document is invalid, or a journal has a problem (repair
// without --truncate: anything to cut; with it: a cut that failed or a
// problem it cannot fix); 2 on a usage error. Every error is one line on
// stderr.

#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/types/span.h"
#include <openssl/mem.h>
#include <openssl/x509.h>

#include "base/status_macros.h"
#include "codec/c3p_request.h"
#include "crypto/base64.h"
#include "crypto/cms_reader.h"
#include "crypto/enveloped_data.h"
#include "focus/focus.h"
#include "tools/confstate_validate.h"
#include "tools/journal_commands.h"

namespace conf {
namespace tools {
namespace {

constexpr char kUsage[] =
    "usage: confstate run [--state-dir=DIR] [--subscribe=USER] [--as=USER] "
    "REQUEST_FILE...\n"
    "       confstate decrypt --key=KEY.pem [--cert=CERT.pem] BLOB\n"
    "       confstate validate DOC.xml\n"
    "       confstate journal verify DIR\n"
    "       confstate journal dump DIR\n"
    "       confstate journal repair DIR [--truncate]\n";

// Input files larger than this are refused.
constexpr size_t kMaxFileBytes = 16 << 20;

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("cannot read ", path));
  }
  std::string contents;
  char buf[65536];
  while (in.read(buf, sizeof(buf)) || in.gcount() > 0) {
    contents.append(buf, static_cast<size_t>(in.gcount()));
    if (contents.size() > kMaxFileBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, " is larger than ", kMaxFileBytes, " bytes"));
    }
  }
  return contents;
}

// The `from` and `to` of a C3P request, read by the parser the focus uses.
// A request it refuses once the envelope is read still has one
// (codec::C3pEnvelopeFromStatus): the focus answers that with a C3P failure.
absl::StatusOr<std::pair<std::string, std::string>> RequestEnvelope(
    absl::string_view body) {
  absl::StatusOr<codec::C3pRequest> request =
      codec::ParseC3pRequest(std::vector<char>(body.begin(), body.end()));
  if (request.ok()) {
    return std::make_pair(
        std::string(absl::StripAsciiWhitespace(request->from)),
        std::string(absl::StripAsciiWhitespace(request->to)));
  }
  std::optional<codec::C3pEnvelope> envelope =
      codec::C3pEnvelopeFromStatus(request.status());
  if (!envelope.has_value()) {
    return request.status();
  }
  return std::make_pair(std::string(absl::StripAsciiWhitespace(envelope->from)),
                        std::string(absl::StripAsciiWhitespace(envelope->to)));
}

const char* KindName(focus::DocumentKind kind) {
  switch (kind) {
    case focus::DocumentKind::kFull:
      return "full";
    case focus::DocumentKind::kPartial:
      return "partial";
    case focus::DocumentKind::kDeleted:
      return "deleted";
  }
  return "?";
}

int Run(const std::vector<std::string>& files, const std::string& as,
        const std::string& subscriber, const std::string& state_dir) {
  std::unique_ptr<focus::Focus> owned;
  if (state_dir.empty()) {
    owned = std::make_unique<focus::Focus>();
  } else {
    focus::DurabilityOptions durability;
    durability.state_dir = state_dir;
    durability.log = [](absl::string_view line) {
      std::cerr << "confstate: " << line << "\n";
    };
    absl::StatusOr<std::unique_ptr<focus::Focus>> opened =
        focus::Focus::Open(focus::FocusOptions(), std::move(durability));
    if (!opened.ok()) {
      std::cerr << "confstate: " << opened.status().message() << "\n";
      return 1;
    }
    owned = *std::move(opened);
  }
  focus::Focus& focus = *owned;
  std::unique_ptr<focus::Subscription> subscription;
  int status = 0;
  for (const std::string& path : files) {
    absl::StatusOr<std::string> contents = ReadFile(path);
    if (!contents.ok()) {
      std::cerr << "confstate: " << contents.status().message() << "\n";
      return 1;
    }
    absl::string_view body = *contents;
    std::string identity = as;
    if (absl::ConsumePrefix(&body, "# as:")) {
      const size_t eol = body.find('\n');
      identity = std::string(absl::StripAsciiWhitespace(body.substr(0, eol)));
      body = eol == absl::string_view::npos ? "" : body.substr(eol + 1);
    }
    absl::StatusOr<std::pair<std::string, std::string>> envelope =
        RequestEnvelope(body);
    if (identity.empty()) {
      if (!envelope.ok()) {
        std::cerr << "confstate: " << path << ": "
                  << envelope.status().message() << "\n";
        return 1;
      }
      identity = envelope->first;
    }
    absl::StatusOr<focus::C3pResult> result =
        focus.HandleRequest(identity, body);
    if (!result.ok()) {
      std::cerr << "confstate: " << path << ": " << result.status().message()
                << "\n";
      return 1;
    }
    std::cout << "== response to " << path << " ("
              << (result->success() ? "success" : "failure") << ")\n"
              << result->body << "\n";
    if (!result->success())
      status = 1;

    if (!subscriber.empty() && subscription == nullptr) {
      focus::SubscribeRequest request;
      request.subscription_id = "confstate";
      request.user = subscriber;
      request.conference = envelope.ok() ? envelope->second : "";
      absl::StatusOr<std::unique_ptr<focus::Subscription>> s =
          focus.Subscribe(std::move(request));
      if (s.ok())
        subscription = *std::move(s);  // else: not a member yet
    }
    if (subscription != nullptr) {
      for (const focus::Notification& n : subscription->Poll()) {
        std::cout << "== notification " << n.version << " (" << KindName(n.kind)
                  << ") for " << subscriber << "\n"
                  << n.Bytes() << "\n";
      }
    }
  }
  return status;
}

// The DER that base64 `text` encodes, decoded as the focus decodes what
// clients send (crypto/base64.h): ASCII white space anywhere is ignored, the
// rest must be the standard alphabet with `=` padding (or none). Returns
// std::nullopt when `text` is empty or not base64.
std::optional<std::string> Base64Der(absl::string_view text) {
  std::string der(text.size() + crypto::kStripSpaceSlack, '\0');
  const size_t chars = crypto::StripAsciiSpace(text, der.data());
  size_t size = 0;
  if (chars == 0 ||
      !crypto::DecodeBase64To(absl::string_view(der.data(), chars), der.data(),
                              &size)) {
    return std::nullopt;
  }
  der.resize(size);
  return der;
}

// DER from base64 (as in msci:cms-data, white space ignored) or raw DER.
absl::StatusOr<std::string> BlobDer(const std::string& contents) {
  if (!contents.empty() && static_cast<unsigned char>(contents[0]) == 0x30) {
    return contents;
  }
  std::optional<std::string> der = Base64Der(contents);
  if (!der.has_value()) {
    return absl::InvalidArgumentError("the blob is neither DER nor base64");
  }
  return *std::move(der);
}

// The base64 body of the first PEM block in `pem`, between its BEGIN and END
// lines.
absl::StatusOr<absl::string_view> PemBody(absl::string_view pem,
                                          absl::string_view what) {
  const size_t begin = pem.find("-----BEGIN ");
  const size_t body = pem.find('\n', begin);
  const size_t end = pem.find("-----END ");
  if (begin == absl::string_view::npos || body == absl::string_view::npos ||
      end == absl::string_view::npos || end < body) {
    return absl::InvalidArgumentError(
        absl::StrCat("the ", what, " is not PEM"));
  }
  return pem.substr(body + 1, end - body - 1);
}

// The DER of a PEM private key.
absl::StatusOr<std::string> KeyDer(const std::string& pem) {
  CONF_ASSIGN_OR_RETURN(absl::string_view body, PemBody(pem, "key"));
  std::optional<std::string> der = Base64Der(body);
  if (!der.has_value()) {
    return absl::InvalidArgumentError("the key's PEM body is not base64");
  }
  return *std::move(der);
}

// The DER of a PEM certificate, through the focus's own certificate intake
// (crypto::DecodeCertificateBase64, with its size limit and its
// "certificate: ..." errors).
absl::StatusOr<std::string> CertificateDer(const std::string& pem) {
  CONF_ASSIGN_OR_RETURN(absl::string_view body, PemBody(pem, "certificate"));
  return crypto::DecodeCertificateBase64(body);
}

absl::Span<const uint8_t> Bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// OkStatus when `parsed` is addressed to the certificate in `cert_path`
// (its issuer and serial number name the certificate).
absl::Status CheckRecipient(const crypto::ParsedEnvelopedData& parsed,
                            const std::string& cert_path) {
  absl::StatusOr<std::string> pem = ReadFile(cert_path);
  if (!pem.ok())
    return pem.status();
  absl::StatusOr<std::string> der = CertificateDer(*pem);
  if (!der.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(cert_path, ": ", der.status().message()));
  }
  const uint8_t* p = reinterpret_cast<const uint8_t*>(der->data());
  bssl::UniquePtr<X509> cert(d2i_X509(nullptr, &p, der->size()));
  if (cert == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat(cert_path, " is not an X.509 certificate"));
  }
  uint8_t* issuer = nullptr;
  const int issuer_size =
      i2d_X509_NAME(X509_get_issuer_name(cert.get()), &issuer);
  bssl::UniquePtr<uint8_t> issuer_owner(issuer);
  const ASN1_INTEGER* serial = X509_get0_serialNumber(cert.get());
  const bool same_issuer =
      issuer_size > 0 &&
      absl::Span<const uint8_t>(issuer, static_cast<size_t>(issuer_size)) ==
          parsed.issuer;
  const bool same_serial =
      serial != nullptr &&
      absl::Span<const uint8_t>(
          serial->data, static_cast<size_t>(serial->length)) == parsed.serial;
  if (!same_issuer || !same_serial) {
    return absl::InvalidArgumentError(
        absl::StrCat("the blob is not addressed to ", cert_path));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> Decrypt(const std::string& key_path,
                                    const std::string& cert_path,
                                    const std::string& blob_path) {
  absl::StatusOr<std::string> pem = ReadFile(key_path);
  if (!pem.ok())
    return pem.status();
  absl::StatusOr<std::string> key_der = KeyDer(*pem);
  if (!key_der.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(key_path, ": ", key_der.status().message()));
  }
  absl::StatusOr<bssl::UniquePtr<EVP_PKEY>> key =
      crypto::ParsePrivateKeyDer(Bytes(*key_der));
  if (!key.ok())
    return key.status();
  absl::StatusOr<std::string> blob = ReadFile(blob_path);
  if (!blob.ok())
    return blob.status();
  absl::StatusOr<std::string> der = BlobDer(*blob);
  if (!der.ok())
    return der.status();
  absl::StatusOr<crypto::ParsedEnvelopedData> parsed =
      crypto::ParseEnvelopedData(Bytes(*der));
  if (!parsed.ok())
    return parsed.status();
  if (!cert_path.empty()) {
    absl::Status recipient = CheckRecipient(*parsed, cert_path);
    if (!recipient.ok())
      return recipient;
  }
  absl::StatusOr<crypto::UnwrappedEnvelope> unwrapped =
      crypto::UnwrapEnvelopedData(*parsed, key->get());
  if (!unwrapped.ok())
    return unwrapped.status();
  if (unwrapped->content.empty()) {
    const absl::Span<const uint8_t> k = unwrapped->key.bytes();
    return absl::StrCat(
        "key ", absl::BytesToHexString(absl::string_view(
                    reinterpret_cast<const char*>(k.data()), k.size())));
  }
  return unwrapped->content;
}

// `confstate journal SUBCOMMAND ...`: `args` are the words after "journal".
int RunJournal(const std::vector<std::string>& args) {
  std::string subcommand, dir;
  RepairAction action = RepairAction::kReport;
  size_t positional = 0;
  for (const std::string& arg : args) {
    if (arg == "--truncate") {
      action = RepairAction::kTruncate;
    } else if (absl::StartsWith(arg, "--")) {
      std::cerr << "confstate: unknown flag " << arg << "\n" << kUsage;
      return 2;
    } else if (positional++ == 0) {
      subcommand = arg;
    } else {
      dir = arg;
    }
  }
  const bool repair = subcommand == "repair";
  if (positional != 2 || (action == RepairAction::kTruncate && !repair) ||
      (!repair && subcommand != "verify" && subcommand != "dump")) {
    std::cerr << kUsage;
    return 2;
  }
  absl::Status status;
  if (subcommand == "verify") {
    status = VerifyJournal(dir, std::cout);
  } else if (subcommand == "dump") {
    status = DumpJournal(dir, std::cout);
  } else {
    status = RepairJournal(dir, action, std::cout);
  }
  std::cout.flush();
  if (!status.ok()) {
    // "confstate: journal verify DIR: segment-...: checksum mismatch ..."
    std::cerr << "confstate: journal " << subcommand << " " << dir << ": "
              << absl::StripPrefix(status.message(), "journal: ") << "\n";
    return 1;
  }
  return 0;
}

int Main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << kUsage;
    return 2;
  }
  const std::string command = argv[1];
  if (command == "journal") {
    return RunJournal(std::vector<std::string>(argv + 2, argv + argc));
  }
  std::string as, subscriber, key, cert, state_dir;
  std::vector<std::string> files;
  for (int i = 2; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (absl::ConsumePrefix(&arg, "--as=")) {
      as = std::string(arg);
    } else if (absl::ConsumePrefix(&arg, "--subscribe=")) {
      subscriber = std::string(arg);
    } else if (absl::ConsumePrefix(&arg, "--state-dir=")) {
      state_dir = std::string(arg);
    } else if (absl::ConsumePrefix(&arg, "--key=")) {
      key = std::string(arg);
    } else if (absl::ConsumePrefix(&arg, "--cert=")) {
      cert = std::string(arg);
    } else if (absl::StartsWith(arg, "--")) {
      std::cerr << "confstate: unknown flag " << arg << "\n" << kUsage;
      return 2;
    } else {
      files.emplace_back(arg);
    }
  }
  if (command == "run" && !files.empty() && key.empty() && cert.empty()) {
    return Run(files, as, subscriber, state_dir);
  }
  if (command == "decrypt" && files.size() == 1 && !key.empty() && as.empty() &&
      subscriber.empty()) {
    absl::StatusOr<std::string> out = Decrypt(key, cert, files[0]);
    if (!out.ok()) {
      std::cerr << "confstate: " << files[0] << ": " << out.status().message()
                << "\n";
      return 1;
    }
    std::cout << *out << "\n";
    return 0;
  }
  if (command == "validate" && files.size() == 1 && key.empty() &&
      cert.empty() && as.empty() && subscriber.empty()) {
    absl::StatusOr<std::string> doc = ReadFile(files[0]);
    absl::Status s = doc.ok() ? ValidateConferenceInfo(*doc) : doc.status();
    if (!s.ok()) {
      std::cerr << "confstate: " << files[0] << ": " << s.message() << "\n";
      return 1;
    }
    std::cout << files[0] << ": valid conference-info\n";
    return 0;
  }
  std::cerr << kUsage;
  return 2;
}

}  // namespace
}  // namespace tools
}  // namespace conf

int main(int argc, char** argv) { return conf::tools::Main(argc, argv); }
