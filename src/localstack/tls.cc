#include "localstack/tls.h"

#include <arpa/inet.h>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <sys/stat.h>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <memory>
#include <optional>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sstream>
#include <sys/socket.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace sluice::localstack {

namespace {

constexpr const char* kCaSubject = "sluice local stack CA (dev only)";
constexpr long kValidDays = 3650;

template <class T, void (*F)(T*)>
struct Free {
  void operator()(T* p) const { F(p); }
};
using Key = std::unique_ptr<EVP_PKEY, Free<EVP_PKEY, EVP_PKEY_free>>;
using Cert = std::unique_ptr<X509, Free<X509, X509_free>>;
using Bio = std::unique_ptr<BIO, Free<BIO, BIO_free_all>>;
using P12 = std::unique_ptr<PKCS12, Free<PKCS12, PKCS12_free>>;
using Big = std::unique_ptr<BIGNUM, Free<BIGNUM, BN_free>>;
using Ext = std::unique_ptr<X509_EXTENSION, Free<X509_EXTENSION, X509_EXTENSION_free>>;

// OpenSSL's queued errors, oldest first, and clears them.
std::string openssl_errors() {
  std::string out;
  char buf[256];
  while (unsigned long e = ERR_get_error()) {
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? "no detail from OpenSSL" : out;
}

Error tls_error(const std::string& what) {
  return Error(Errc::io, fmt::format("TLS setup: {}: {}", what, openssl_errors()));
}

bool is_ip(const std::string& address) {
  unsigned char buf[16];
  return inet_pton(AF_INET, address.c_str(), buf) == 1 || inet_pton(AF_INET6, address.c_str(), buf) == 1;
}

std::string read_whole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Written whole under a temporary name, then renamed: a reader never sees half a file.
Status write_whole(const std::string& path, const std::string& content, mode_t mode) {
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return Error(Errc::io, fmt::format("cannot write {}: {}", tmp, std::strerror(errno)));
  ::fchmod(fd, mode);  // the umask does not get to widen or narrow it
  const char* p = content.data();
  std::size_t left = content.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = errno;
      ::close(fd);
      return Error(Errc::io, fmt::format("cannot write {}: {}", tmp, std::strerror(err)));
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  if (::close(fd) != 0 || std::rename(tmp.c_str(), path.c_str()) != 0) {
    return Error(Errc::io, fmt::format("cannot write {}: {}", path, std::strerror(errno)));
  }
  return {};
}

Bio memory_bio(const std::string& text) {
  return Bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  long n = BIO_ctrl(bio, BIO_CTRL_INFO, 0, static_cast<void*>(&data));  // BIO_get_mem_data, without its C cast
  return n > 0 ? std::string(data, static_cast<std::size_t>(n)) : std::string();
}

Result<std::string> cert_pem(X509* cert) {
  Bio bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) return tls_error("cannot encode a certificate");
  return bio_text(bio.get());
}

Result<std::string> key_pem(EVP_PKEY* key) {
  Bio bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return tls_error("cannot encode a private key");
  }
  return bio_text(bio.get());
}

Result<Key> new_key() {
  // P-256: quick to make (RSA 2048 takes a good part of a second on a busy core), and what both
  // Cassandra's TLS stacks (JDK and netty-tcnative) and OpenSSL clients speak.
  char curve[] = "P-256";
  Key key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve));  // EVP_EC_gen, without its C cast
  if (!key) return tls_error("cannot generate a P-256 key");
  return key;
}

Status add_ext(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  Ext ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) {
    return tls_error(fmt::format("cannot add the {} extension", OBJ_nid2sn(nid)));
  }
  return {};
}

// A certificate for `key`, signed by issuer/issuer_key (self-signed when issuer is null). With
// `san` empty, a CA; otherwise a TLS server certificate for those names.
Result<Cert> new_cert(EVP_PKEY* key, const std::string& common_name, X509* issuer, EVP_PKEY* issuer_key,
                      const std::string& san) {
  Cert cert(X509_new());
  Big serial(BN_new());
  if (!cert || !serial) return tls_error("out of memory");
  bool ok = X509_set_version(cert.get(), 2) == 1 &&  // v3
            BN_rand(serial.get(), 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) == 1 &&
            BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())) != nullptr &&
            X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) != nullptr &&  // some slack for clocks
            X509_time_adj_ex(X509_getm_notAfter(cert.get()), kValidDays, 0, nullptr) != nullptr &&
            X509_set_pubkey(cert.get(), key) == 1 &&
            X509_NAME_add_entry_by_txt(X509_get_subject_name(cert.get()), "CN", MBSTRING_UTF8,
                                       reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1, 0) == 1 &&
            X509_set_issuer_name(cert.get(), X509_get_subject_name(issuer != nullptr ? issuer : cert.get())) == 1;
  if (!ok) return tls_error("cannot fill in a certificate");
  X509* signer = issuer != nullptr ? issuer : cert.get();
  const bool ca = san.empty();
  SLUICE_TRY(add_ext(cert.get(), signer, NID_basic_constraints, ca ? "critical,CA:TRUE" : "critical,CA:FALSE"));
  SLUICE_TRY(
      add_ext(cert.get(), signer, NID_key_usage, ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature"));
  SLUICE_TRY(add_ext(cert.get(), signer, NID_subject_key_identifier, "hash"));
  if (!ca) {
    SLUICE_TRY(add_ext(cert.get(), signer, NID_authority_key_identifier, "keyid:always"));
    SLUICE_TRY(add_ext(cert.get(), signer, NID_ext_key_usage, "serverAuth"));
    SLUICE_TRY(add_ext(cert.get(), signer, NID_subject_alt_name, san.c_str()));
  }
  if (X509_sign(cert.get(), issuer_key != nullptr ? issuer_key : key, EVP_sha256()) <= 0) {
    return tls_error("cannot sign a certificate");
  }
  return cert;
}

bool still_valid(X509* cert) {
  // At least a day left, so a stack started now does not stop working tomorrow.
  time_t tomorrow = ::time(nullptr) + 24 * 3600;
  return X509_cmp_time(X509_get0_notAfter(cert), &tomorrow) > 0 && X509_cmp_current_time(X509_get0_notBefore(cert)) < 0;
}

struct Ca {
  Cert cert;
  Key key;
};

// The CA under dir, if both files load, belong together and are valid; else nothing.
std::optional<Ca> load_ca(const std::string& dir) {
  std::string cert_text = read_whole(dir + "/ca.pem");
  std::string key_text = read_whole(dir + "/ca.key");
  if (cert_text.empty() || key_text.empty()) return std::nullopt;
  auto cert_bio = memory_bio(cert_text);
  auto key_bio = memory_bio(key_text);
  Ca ca{Cert(PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr)),
        Key(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr))};
  bool usable = ca.cert && ca.key && X509_check_private_key(ca.cert.get(), ca.key.get()) == 1 &&
                X509_check_ca(ca.cert.get()) == 1 && still_valid(ca.cert.get());
  ERR_clear_error();
  if (!usable) return std::nullopt;
  return ca;
}

Result<Ca> make_ca(const std::string& dir) {
  auto key = new_key();
  if (!key.ok()) return key.error();
  auto cert = new_cert(key->get(), kCaSubject, nullptr, nullptr, "");
  if (!cert.ok()) return cert.error();
  auto key_text = key_pem(key->get());
  if (!key_text.ok()) return key_text.error();
  auto cert_text = cert_pem(cert->get());
  if (!cert_text.ok()) return cert_text.error();
  // The key first: a ca.pem without its key would be trusted by clients and useless here.
  SLUICE_TRY(write_whole(dir + "/ca.key", *key_text, 0600));
  SLUICE_TRY(write_whole(dir + "/ca.pem", *cert_text, 0644));
  return Ca{std::move(cert).value(), std::move(key).value()};
}

// True if the keystore opens with the dev password and holds a key and a certificate for
// `address`, signed by `ca`, valid.
bool keystore_fits(const std::string& path, const Ca& ca, const std::string& address) {
  std::string der = read_whole(path);
  if (der.empty()) return false;
  auto bio = memory_bio(der);
  P12 p12(d2i_PKCS12_bio(bio.get(), nullptr));
  EVP_PKEY* raw_key = nullptr;
  X509* raw_cert = nullptr;
  const std::string password(kDevKeystorePassword);
  bool opened = p12 && PKCS12_parse(p12.get(), password.c_str(), &raw_key, &raw_cert, nullptr) == 1;
  Key key(raw_key);
  Cert cert(raw_cert);
  bool fits = opened && key && cert && X509_check_private_key(cert.get(), key.get()) == 1 &&
              X509_verify(cert.get(), X509_get0_pubkey(ca.cert.get())) == 1 && still_valid(cert.get()) &&
              (is_ip(address) ? X509_check_ip_asc(cert.get(), address.c_str(), 0) == 1
                              : X509_check_host(cert.get(), address.c_str(), address.size(), 0, nullptr) == 1);
  ERR_clear_error();
  return fits;
}

Status make_keystore(const std::string& dir, const std::string& node, const Ca& ca, const std::string& address) {
  auto key = new_key();
  if (!key.ok()) return key.error();
  std::string san = fmt::format("{}:{},DNS:localhost", is_ip(address) ? "IP" : "DNS", address);
  if (address == "localhost") san = "DNS:localhost";
  auto cert = new_cert(key->get(), address, ca.cert.get(), ca.key.get(), san);
  if (!cert.ok()) return cert.error();
  const std::string password(kDevKeystorePassword);
  // The leaf alone, as servers usually send it: a client must have the CA already. OpenSSL 3's
  // defaults: AES-256-CBC with PBKDF2, HMAC-SHA256 MAC; Java 17 reads them.
  P12 p12(PKCS12_create(password.c_str(), node.c_str(), key->get(), cert->get(), nullptr, 0, 0, 0, 0, 0));
  if (!p12) return tls_error(fmt::format("cannot make the PKCS12 keystore of {}", node));
  Bio out(BIO_new(BIO_s_mem()));
  if (!out || i2d_PKCS12_bio(out.get(), p12.get()) != 1) return tls_error("cannot encode a PKCS12 keystore");
  auto pem = cert_pem(cert->get());
  if (!pem.ok()) return pem.error();
  SLUICE_TRY(write_whole(dir + "/" + node + ".p12", bio_text(out.get()), 0600));
  SLUICE_TRY(write_whole(dir + "/" + node + ".pem", *pem, 0644));
  return {};
}

}  // namespace

std::string tls_dir(const std::string& home) { return home + "/tls"; }
std::string ca_cert_file(const std::string& home) { return tls_dir(home) + "/ca.pem"; }
std::string keystore_file(const std::string& home, const std::string& node) {
  return tls_dir(home) + "/" + node + ".p12";
}

Result<TlsMade> ensure_node_tls(const std::string& home, const std::string& node, const std::string& address) {
  if (node.empty() || node.find('/') != std::string::npos) {
    return Error(Errc::invalid_argument, fmt::format("bad node name '{}'", node));
  }
  const std::string dir = tls_dir(home);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Error(Errc::io, fmt::format("cannot create {}: {}", dir, ec.message()));
  TlsMade made;
  auto ca = load_ca(dir);
  if (!ca) {
    auto fresh = make_ca(dir);
    if (!fresh.ok()) return fresh.error();
    ca = std::move(fresh).value();
    made.new_ca = true;
  }
  if (!keystore_fits(keystore_file(home, node), *ca, address)) {
    SLUICE_TRY(make_keystore(dir, node, *ca, address));
    made.new_keystore = true;
  }
  return made;
}

Result<std::string> unrelated_ca_pem() {
  auto key = new_key();
  if (!key.ok()) return key.error();
  auto cert = new_cert(key->get(), kCaSubject, nullptr, nullptr, "");
  if (!cert.ok()) return cert.error();
  return cert_pem(cert->get());
}

}  // namespace sluice::localstack
