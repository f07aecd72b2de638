package server

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"sync/atomic"
	"time"
)

// certSource is the serving certificate of an HTTPS server, read from a PEM
// certificate (chain) and key file pair. Reload swaps in a new pair
// atomically for the handshakes that follow; connections already open keep
// the certificate they were made with. A pair that does not load, does not
// match or has expired is refused and the current one stays.
type certSource struct {
	certFile, keyFile string
	cur               atomic.Pointer[tls.Certificate]
	now               func() time.Time
}

func newCertSource(certFile, keyFile string) (*certSource, error) {
	c := &certSource{certFile: certFile, keyFile: keyFile, now: time.Now}
	if err := c.Reload(); err != nil {
		return nil, err
	}
	return c, nil
}

// Reload reads the files again and, if the pair is good, serves it to new
// connections.
func (c *certSource) Reload() error {
	cert, err := tls.LoadX509KeyPair(c.certFile, c.keyFile) // checks that the key matches
	if err != nil {
		return fmt.Errorf("TLS certificate %s / key %s: %w", c.certFile, c.keyFile, err)
	}
	leaf := cert.Leaf
	if leaf == nil {
		if leaf, err = x509.ParseCertificate(cert.Certificate[0]); err != nil {
			return fmt.Errorf("TLS certificate %s: %w", c.certFile, err)
		}
		cert.Leaf = leaf
	}
	if now := c.now(); now.After(leaf.NotAfter) {
		return fmt.Errorf("TLS certificate %s expired at %s", c.certFile, leaf.NotAfter.UTC().Format(time.RFC3339))
	}
	c.cur.Store(&cert)
	return nil
}

// Expires is when the certificate being served expires.
func (c *certSource) Expires() time.Time { return c.cur.Load().Leaf.NotAfter }

// getCertificate is tls.Config.GetCertificate: every handshake reads the
// current pair.
func (c *certSource) getCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return c.cur.Load(), nil
}

// tlsConfig serves c's certificate with TLS 1.2 or later; HTTP/2 is offered
// by ALPN (net/http adds "h2" when it serves TLS).
func (c *certSource) tlsConfig() *tls.Config {
	return &tls.Config{
		MinVersion:     tls.VersionTLS12,
		GetCertificate: c.getCertificate,
		NextProtos:     []string{"h2", "http/1.1"},
	}
}
