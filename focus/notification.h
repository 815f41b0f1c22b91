// A conference-info document as one subscription receives it: the NOTIFY
// (or BENOTIFY) body of Subscription::Poll (focus/focus.h).
//
// Thread safety: a Notification is a value; its document's bytes are
// immutable and shared, so copies may be read from any thread.

#ifndef CONF_FOCUS_NOTIFICATION_H_
#define CONF_FOCUS_NOTIFICATION_H_

#include <cstdint>
#include <string>

#include "codec/conference_info.h"

namespace conf {
namespace focus {

enum class DocumentKind { kFull, kPartial, kDeleted };

// One conference-info document for one subscriber. Shares its bytes with
// every subscriber of the same view; `version` is this subscription's.
struct Notification {
  uint32_t version = 0;
  DocumentKind kind = DocumentKind::kPartial;
  codec::EncodedDocument document;

  // The NOTIFY body (the document with this subscription's version).
  std::string Bytes() const { return document.WithVersion(version); }
};

}  // namespace focus
}  // namespace conf

#endif  // CONF_FOCUS_NOTIFICATION_H_
