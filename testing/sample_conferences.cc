#include "testing/sample_conferences.h"

#include <stdio.h>
#include <stdlib.h>

#include <cassert>
#include <fstream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

#include "engine/model.h"

namespace conf {
namespace testing {
namespace {

constexpr char kOrganizer[] = "sip:alice@fabrikam.com";

std::string McuUri(absl::string_view type) {
  return absl::StrCat(kOrganizer, ";gruu;opaque=app:conf:", type,
                      ":id:5D3747C");
}

engine::EntityMedia EntityMedia(std::string label, std::string type,
                                std::optional<engine::MediaStatus> status) {
  engine::EntityMedia m;
  m.label = std::move(label);
  m.type = std::move(type);
  m.status = status;
  return m;
}

std::shared_ptr<const engine::EntityView> View(absl::string_view type) {
  auto v = std::make_shared<engine::EntityView>();
  v->mcu_type = std::string(type);
  v->entity = McuUri(type);
  const auto send_recv = engine::MediaStatus::kSendRecv;
  if (type == "focus") {
    v->state.locked = false;
  } else if (type == "audio-video") {
    v->capabilities.emplace();
    v->capabilities->supports_audio = true;
    v->capabilities->supports_video = true;
    v->state.media.push_back(EntityMedia("main-audio", "audio", send_recv));
    v->state.media.push_back(EntityMedia("main-video", "video", send_recv));
    v->state.media.back().video_mode = "dominant-speaker-switched";
    v->state.media.push_back(
        EntityMedia("panoramic-video", "panoramic-video", send_recv));
  } else if (type == "chat") {
    v->state.locked = false;
    v->state.media.push_back(EntityMedia("chat", "chat", std::nullopt));
  } else if (type == "meeting") {
    v->state.application = "27877e66-615c-4582-ab88-0cb2ca05d951";
    v->state.locked = false;
    v->state.media.push_back(EntityMedia("meeting", "meeting", std::nullopt));
  } else if (type == "applicationsharing") {
    v->capabilities.emplace();
    v->capabilities->control_permission = "ActiveDirectoryUsers";
    v->state.locked = false;
    v->state.media.push_back(
        EntityMedia("applicationsharing", "applicationsharing", std::nullopt));
  }
  return v;
}

std::shared_ptr<const engine::User> Alice() {
  auto u = std::make_shared<engine::User>();
  u->entity = engine::UserId(kOrganizer);
  u->display_text = "Alice Gates";
  u->role = engine::Role::kOrganizer;
  auto e = std::make_shared<engine::Endpoint>();
  e->entity = engine::EndpointId("{09AA504C-BA41-4458-8669-8F35470F6CA2}");
  e->session_type = "focus";
  e->endpoint_uri =
      "sip:alice@fabrikam.com;opaque=user:epid:HT07tI-f3F-fdDyic8rblwAA;gruu";
  e->status = engine::EndpointStatus::kConnected;
  u->endpoints.push_back(std::move(e));
  return u;
}

}  // namespace

engine::ConferenceSnapshot SeedSnapshot() {
  engine::ConferenceSnapshot s;
  s.entity = engine::ConferenceId(McuUri("focus"));
  s.version = 4;
  s.organizer = engine::UserId(kOrganizer);
  auto d = std::make_shared<engine::ConferenceDescription>();
  for (const char* type :
       {"chat", "meeting", "audio-video", "applicationsharing"}) {
    engine::UriEntry e;
    e.uri = McuUri(type);
    e.display_text = type;
    e.purpose = type;
    d->conf_uris.push_back(std::move(e));
  }
  d->pstn_access.emplace();
  d->pstn_access->id = "37890";
  s.description = std::move(d);
  auto state = std::make_shared<engine::ConferenceState>();
  state->user_count = 1;
  s.state = std::move(state);
  s.users = s.users.Set(Alice());
  for (const char* type :
       {"focus", "audio-video", "chat", "meeting", "applicationsharing"}) {
    s.views.push_back(View(type));
  }
  return s;
}

codec::DocumentSecrets FakeSecrets() {
  codec::DocumentSecrets secrets;
  // base64("fake conference key"), base64("fake web-internal uri"), ...
  secrets.conference_key = "ZmFrZSBjb25mZXJlbmNlIGtleQ==";
  secrets.web_internal_uri = "ZmFrZSB3ZWItaW50ZXJuYWwgdXJp";
  secrets.web_external_uri = "ZmFrZSB3ZWItZXh0ZXJuYWwgdXJp";
  return secrets;
}

std::shared_ptr<const engine::User> MakeUser(int i) {
  auto u = std::make_shared<engine::User>();
  u->entity = engine::UserId(absl::StrCat("sip:user", i, "@fabrikam.com"));
  u->display_text = absl::StrCat("User ", i, " <R&D>");
  u->role = i % 10 == 0 ? engine::Role::kPresenter : engine::Role::kAttendee;
  auto focus = std::make_shared<engine::Endpoint>();
  focus->entity = engine::EndpointId(absl::StrCat("{focus-", i, "}"));
  focus->session_type = "focus";
  focus->status = engine::EndpointStatus::kConnected;
  focus->joining_method = engine::JoiningMethod::kDialedIn;
  u->endpoints.push_back(std::move(focus));
  auto av = std::make_shared<engine::Endpoint>();
  av->entity = engine::EndpointId(absl::StrCat("{av-", i, "}"));
  av->session_type = "audio-video";
  av->status = engine::EndpointStatus::kConnected;
  for (const char* type : {"audio", "video"}) {
    auto m = std::make_shared<engine::Media>();
    m->id = engine::MediaId(absl::StrCat(type[0] == 'a' ? 1 : 2));
    m->type = type;
    m->label = absl::StrCat(type, "-", i);
    m->status = engine::MediaStatus::kSendRecv;
    av->media.push_back(std::move(m));
  }
  u->endpoints.push_back(std::move(av));
  return u;
}

engine::ConferenceSnapshot SnapshotWithUsers(int users) {
  engine::ConferenceSnapshot s = SeedSnapshot();
  if (users == 0) {
    s.users = engine::UserMap();
  }
  for (int i = 1; i < users; ++i) {
    s.users = s.users.Set(MakeUser(i));
  }
  auto state = std::make_shared<engine::ConferenceState>();
  state->user_count = static_cast<uint32_t>(s.users.size());
  s.state = std::move(state);
  return s;
}

engine::ConferenceSnapshot WithRoleToggled(
    const engine::ConferenceSnapshot& snapshot, const engine::UserId& user) {
  const std::shared_ptr<const engine::User> old = snapshot.users.Find(user);
  assert(old != nullptr);
  auto changed = std::make_shared<engine::User>(*old);  // slot starts empty
  changed->role = old->role == engine::Role::kAttendee
                      ? engine::Role::kPresenter
                      : engine::Role::kAttendee;
  engine::ConferenceSnapshot next = snapshot;
  next.version = snapshot.version + 1;
  next.users = snapshot.users.Set(std::move(changed));
  return next;
}

engine::ConferenceSnapshot WithoutUserCaches(
    const engine::ConferenceSnapshot& snapshot) {
  engine::ConferenceSnapshot copy = snapshot;
  for (engine::UserMap* map : {&copy.users, &copy.lobby}) {
    engine::UserMap fresh;
    for (const std::shared_ptr<const engine::User>& u : *map) {
      fresh = fresh.Set(std::make_shared<const engine::User>(*u));
    }
    *map = std::move(fresh);
  }
  return copy;
}

namespace {

std::string SharedDir() {
  const std::string runfile = "codec/testdata/golden/seed_full_leader.xml";
  char* real = realpath(runfile.c_str(), nullptr);
  if (real == nullptr) {
    return "";
  }
  std::string path(real);
  free(real);
  const std::string suffix = "/" + runfile;
  if (!absl::EndsWith(path, suffix)) {
    return "";
  }
  path.resize(path.size() - suffix.size());
  return absl::StrCat(path, "/../shared");
}

// Runs `command`; returns its exit status and combined output.
int Run(const std::string& command, std::string* output) {
  FILE* p = popen(absl::StrCat(command, " 2>&1").c_str(), "r");
  if (p == nullptr) {
    return -1;
  }
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) {
    output->append(buf, n);
  }
  return pclose(p);
}

}  // namespace

XmllintResult RunXmllint(const std::string& name, const std::string& document,
                         Schema schema) {
  XmllintResult r;
  std::string ignored;
  if (Run("xmllint --version", &ignored) != 0) {
    r.skip_reason = "xmllint is not installed";
    return r;
  }
  std::string xsd;
  if (schema == Schema::kRfc4575) {
    const std::string shared = SharedDir();
    xsd = absl::StrCat(shared, "/spec/schemas/conference-info.local.xsd");
    if (shared.empty() || !std::ifstream(xsd).good()) {
      r.skip_reason = "../shared/spec/schemas not found next to the workspace";
      return r;
    }
  }
  const char* tmp = getenv("TEST_TMPDIR");
  const std::string file = absl::StrCat(tmp ? tmp : "/tmp", "/", name);
  std::ofstream(file, std::ios::binary) << document;
  r.ran = true;
  const int wf = Run(absl::StrCat("xmllint --noout --nonet ", file), &r.output);
  r.ok = wf == 0 && r.output.empty();
  if (r.ok && schema == Schema::kRfc4575) {
    const int valid =
        Run(absl::StrCat("xmllint --noout --nonet --schema ", xsd, " ", file),
            &r.output);
    r.ok = valid == 0 && absl::StrContains(r.output, " validates");
  }
  return r;
}

}  // namespace testing
}  // namespace conf
