// Private to the transport: the one way its files include Asio (standalone
// Asio 1.22, //third_party:asio), so that the setting below precedes every
// Asio header in each translation unit.
//
// GCC 12 reports -Wtsan, an error under -Werror, wherever Asio's fenced
// blocks inline std::atomic_thread_fence under -fsanitize=thread, because
// ThreadSanitizer does not model fences. Asio hands every handler from one
// thread to another under its scheduler's mutex, which TSan does model, so
// nothing here relies on those fences. clang has no such warning. The
// pragma must be seen before Asio's headers are parsed.

#ifndef CONF_SERVER_INTERNAL_ASIO_H_
#define CONF_SERVER_INTERNAL_ASIO_H_

#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12
#pragma GCC diagnostic ignored "-Wtsan"
#endif

#include <asio/buffer.hpp>
#include <asio/error.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/address.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>
#include <asio/socket_base.hpp>
#include <asio/steady_timer.hpp>
#include <asio/write.hpp>

#endif  // CONF_SERVER_INTERNAL_ASIO_H_
