// Why: `sluice local up --tls` hands Cassandra a keystore and clients a CA file. The keystore
// must open with the dev password and hold a certificate that an OpenSSL client accepts for the
// node's address (and localhost) when it trusts ca.pem, and for nothing else; a second `up` must
// reuse what fits, so clients keep trusting the same CA.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

#include "localstack/tls.h"

namespace fs = std::filesystem;

namespace sluice::localstack {
namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

unsigned mode_of(const std::string& path) {
  struct stat st {};
  ::stat(path.c_str(), &st);
  return st.st_mode & 0777U;
}

struct Opened {
  EVP_PKEY* key = nullptr;
  X509* cert = nullptr;
  ~Opened() {
    EVP_PKEY_free(key);
    X509_free(cert);
  }
};

bool open_keystore(const std::string& path, const std::string& password, Opened& out) {
  std::string der = slurp(path);
  BIO* bio = BIO_new_mem_buf(der.data(), static_cast<int>(der.size()));
  PKCS12* p12 = d2i_PKCS12_bio(bio, nullptr);
  bool ok = p12 != nullptr && PKCS12_parse(p12, password.c_str(), &out.key, &out.cert, nullptr) == 1;
  PKCS12_free(p12);
  BIO_free(bio);
  ERR_clear_error();
  return ok;
}

X509* read_cert_pem(const std::string& text) {
  BIO* bio = BIO_new_mem_buf(text.data(), static_cast<int>(text.size()));
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  return cert;
}

// What an OpenSSL client does: chain to `ca_pem` for a TLS server, and check the peer's name
// (an IP address or a host name). Returns the X509_V_* result.
int verify_as_client(X509* server, const std::string& ca_pem, const std::string& peer) {
  X509* ca = read_cert_pem(ca_pem);
  X509_STORE* store = X509_STORE_new();
  X509_STORE_add_cert(store, ca);
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  X509_STORE_CTX_init(ctx, store, server, nullptr);
  X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_SERVER);
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx);
  if (peer.find_first_not_of("0123456789.") == std::string::npos) {
    X509_VERIFY_PARAM_set1_ip_asc(param, peer.c_str());
  } else {
    X509_VERIFY_PARAM_set1_host(param, peer.c_str(), peer.size());
  }
  int result = X509_verify_cert(ctx) == 1 ? X509_V_OK : X509_STORE_CTX_get_error(ctx);
  X509_STORE_CTX_free(ctx);
  X509_STORE_free(store);
  X509_free(ca);
  ERR_clear_error();
  return result;
}

class LocalStackTls : public ::testing::Test {
 protected:
  void SetUp() override {
    home_ = (fs::temp_directory_path() / ("sluice-tls-test-" + std::to_string(::getpid()))).string();
    fs::remove_all(home_);
  }
  void TearDown() override { fs::remove_all(home_); }
  std::string home_;
};

TEST_F(LocalStackTls, MakesACaAndAKeystoreThatAClientAcceptsForTheNodeAddress) {
  auto made = ensure_node_tls(home_, "cassandra-1", "127.0.3.1");
  ASSERT_TRUE(made.ok()) << made.error().to_string();
  EXPECT_TRUE(made->new_ca);
  EXPECT_TRUE(made->new_keystore);
  EXPECT_EQ(ca_cert_file(home_), home_ + "/tls/ca.pem");
  EXPECT_EQ(keystore_file(home_, "cassandra-1"), home_ + "/tls/cassandra-1.p12");
  EXPECT_EQ(mode_of(home_ + "/tls/ca.key"), 0600U);
  EXPECT_EQ(mode_of(keystore_file(home_, "cassandra-1")), 0600U);
  EXPECT_TRUE(fs::exists(home_ + "/tls/cassandra-1.pem"));

  Opened ks;
  ASSERT_TRUE(open_keystore(keystore_file(home_, "cassandra-1"), std::string(kDevKeystorePassword), ks));
  ASSERT_NE(ks.cert, nullptr);
  ASSERT_NE(ks.key, nullptr);
  EXPECT_EQ(X509_check_private_key(ks.cert, ks.key), 1);
  Opened wrong;
  EXPECT_FALSE(open_keystore(keystore_file(home_, "cassandra-1"), "not-the-password", wrong));

  std::string ca = slurp(ca_cert_file(home_));
  EXPECT_EQ(verify_as_client(ks.cert, ca, "127.0.3.1"), X509_V_OK);
  EXPECT_EQ(verify_as_client(ks.cert, ca, "localhost"), X509_V_OK);
  EXPECT_EQ(verify_as_client(ks.cert, ca, "127.0.3.2"), X509_V_ERR_IP_ADDRESS_MISMATCH);
  EXPECT_EQ(verify_as_client(ks.cert, ca, "wrong.example"), X509_V_ERR_HOSTNAME_MISMATCH);
  auto other = unrelated_ca_pem();
  ASSERT_TRUE(other.ok()) << other.error().to_string();
  EXPECT_NE(verify_as_client(ks.cert, *other, "127.0.3.1"), X509_V_OK);
}

TEST_F(LocalStackTls, ReusesWhatFitsAndRemakesWhatDoesNot) {
  ASSERT_TRUE(ensure_node_tls(home_, "cassandra-1", "127.0.4.1").ok());
  std::string ca = slurp(ca_cert_file(home_));
  std::string ks1 = slurp(keystore_file(home_, "cassandra-1"));

  auto again = ensure_node_tls(home_, "cassandra-1", "127.0.4.1");
  ASSERT_TRUE(again.ok()) << again.error().to_string();
  EXPECT_FALSE(again->new_ca);
  EXPECT_FALSE(again->new_keystore);
  EXPECT_EQ(slurp(ca_cert_file(home_)), ca);
  EXPECT_EQ(slurp(keystore_file(home_, "cassandra-1")), ks1);

  // A second node: same CA, its own certificate.
  auto second = ensure_node_tls(home_, "cassandra-2", "127.0.4.2");
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(second->new_ca);
  EXPECT_TRUE(second->new_keystore);
  Opened ks2;
  ASSERT_TRUE(open_keystore(keystore_file(home_, "cassandra-2"), std::string(kDevKeystorePassword), ks2));
  EXPECT_EQ(verify_as_client(ks2.cert, ca, "127.0.4.2"), X509_V_OK);

  // The node moved to another address: a new certificate, same CA.
  auto moved = ensure_node_tls(home_, "cassandra-1", "127.0.5.1");
  ASSERT_TRUE(moved.ok());
  EXPECT_FALSE(moved->new_ca);
  EXPECT_TRUE(moved->new_keystore);
  Opened ks1b;
  ASSERT_TRUE(open_keystore(keystore_file(home_, "cassandra-1"), std::string(kDevKeystorePassword), ks1b));
  EXPECT_EQ(verify_as_client(ks1b.cert, ca, "127.0.5.1"), X509_V_OK);

  // The CA's key is gone: a new CA, and every keystore made again under it.
  fs::remove(home_ + "/tls/ca.key");
  auto fresh = ensure_node_tls(home_, "cassandra-2", "127.0.4.2");
  ASSERT_TRUE(fresh.ok());
  EXPECT_TRUE(fresh->new_ca);
  EXPECT_TRUE(fresh->new_keystore);
  std::string new_ca = slurp(ca_cert_file(home_));
  EXPECT_NE(new_ca, ca);
  Opened ks2b;
  ASSERT_TRUE(open_keystore(keystore_file(home_, "cassandra-2"), std::string(kDevKeystorePassword), ks2b));
  EXPECT_EQ(verify_as_client(ks2b.cert, new_ca, "127.0.4.2"), X509_V_OK);
  EXPECT_NE(verify_as_client(ks2b.cert, ca, "127.0.4.2"), X509_V_OK);
}

TEST_F(LocalStackTls, RefusesNodeNamesThatAreNotNames) {
  EXPECT_FALSE(ensure_node_tls(home_, "../x", "127.0.0.1").ok());
  EXPECT_FALSE(ensure_node_tls(home_, "", "127.0.0.1").ok());
}

}  // namespace
}  // namespace sluice::localstack
