// Private to the transport (server/transport.h): the byte stream under one
// connection. The connection code (loop.h) reads, writes and closes through
// Stream only, so that TLS can be slotted in under it without changing
// server/connection.h; TcpStream is the plain TCP socket.
//
// Thread-safety: a Stream is used on its connection's loop thread only.

#ifndef CONF_SERVER_INTERNAL_STREAM_H_
#define CONF_SERVER_INTERNAL_STREAM_H_

#include <cstddef>
#include <functional>
#include <system_error>
#include <utility>
#include <vector>

#include "server/internal/asio.h"

namespace conf {
namespace server {
namespace internal {

// A reliable byte stream under one connection, used on its loop thread
// only. TcpStream is the socket itself. A TLS stream (BoringSSL libssl
// with memory BIOs) would own the socket and an SSL: ReadSome moves
// ciphertext from the socket into the read BIO and returns SSL_read's
// plaintext (would_block until a record is complete), AsyncWrite encrypts
// through SSL_write and writes the write BIO's bytes, AsyncShutdownSend
// sends close_notify first, and AsyncWaitReadable completes at once while
// SSL_pending() > 0.
class Stream {
 public:
  struct ReadResult {
    size_t bytes = 0;
    // asio::error::would_block when nothing is ready, eof at the end.
    std::error_code error;
  };
  using WaitCallback = std::function<void(std::error_code)>;
  using WriteCallback = std::function<void(std::error_code, size_t)>;

  virtual ~Stream() = default;

  // Calls `done` once ReadSome may have bytes (or an error) to return.
  virtual void AsyncWaitReadable(WaitCallback done) = 0;
  // Reads what is available, never blocking.
  virtual ReadResult ReadSome(asio::mutable_buffer buffer) = 0;
  // Writes all of `buffers`, whose bytes stay put until `done` runs.
  virtual void AsyncWrite(const std::vector<asio::const_buffer>& buffers,
                          WriteCallback done) = 0;
  // Ends our direction of the stream (after the writes that completed);
  // `done` runs later, never inside this call.
  virtual void AsyncShutdownSend(WaitCallback done) = 0;
  // Closes at once; pending operations complete with operation_aborted.
  virtual void Close() = 0;
};

class TcpStream final : public Stream {
 public:
  explicit TcpStream(asio::ip::tcp::socket socket)
      : socket_(std::move(socket)) {
    std::error_code ignored;
    // ReadSome must return would_block rather than wait.
    socket_.non_blocking(true, ignored);
    // SIP requests and responses are small and answered at once.
    socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
  }

  void AsyncWaitReadable(WaitCallback done) override {
    socket_.async_wait(asio::ip::tcp::socket::wait_read, std::move(done));
  }

  ReadResult ReadSome(asio::mutable_buffer buffer) override {
    ReadResult result;
    result.bytes = socket_.read_some(buffer, result.error);
    return result;
  }

  void AsyncWrite(const std::vector<asio::const_buffer>& buffers,
                  WriteCallback done) override {
    asio::async_write(socket_, buffers, std::move(done));
  }

  void AsyncShutdownSend(WaitCallback done) override {
    std::error_code ec;
    socket_.shutdown(asio::socket_base::shutdown_send, ec);
    asio::post(socket_.get_executor(),
               [done = std::move(done), ec]() { done(ec); });
  }

  void Close() override {
    std::error_code ignored;
    socket_.close(ignored);
  }

 private:
  asio::ip::tcp::socket socket_;
};

}  // namespace internal
}  // namespace server
}  // namespace conf

#endif  // CONF_SERVER_INTERNAL_STREAM_H_
