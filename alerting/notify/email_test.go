package notify

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/pantau/pantau/store/secret"
)

// testCert makes a self-signed certificate for 127.0.0.1 and localhost
// and a pool that trusts it.
func testCert(t testing.TB) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "pantau test smtp"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

// smtpServer is a real SMTP server (go-smtp) in the test process.
type smtpServer struct {
	addr string
	mu   sync.Mutex
	msgs []smtpMsg
	// rcptErr, when set, is returned for RCPT TO.
	rcptErr error
	// authEcho makes a failed AUTH echo the credentials, as a hostile or
	// broken server might.
	authEcho bool
}

type smtpMsg struct {
	from   string
	to     []string
	data   []byte
	tls    bool
	authed string
}

type smtpSession struct {
	srv    *smtpServer
	conn   *smtp.Conn
	msg    smtpMsg
	authed string
}

func (s *smtpSession) AuthMechanisms() []string { return []string{sasl.Plain} }
func (s *smtpSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != "pantau" || password != "smtp-pa55word-xyz" {
			if s.srv.authEcho {
				return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "bad credentials " + username + ":" + password}
			}
			return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "bad credentials"}
		}
		s.authed = username
		return nil
	}), nil
}
func (s *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	if s.authed == "" {
		return smtp.ErrAuthRequired
	}
	s.msg = smtpMsg{from: from, authed: s.authed}
	return nil
}
func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.srv.mu.Lock()
	err := s.srv.rcptErr
	s.srv.mu.Unlock()
	if err != nil {
		return err
	}
	s.msg.to = append(s.msg.to, to)
	return nil
}
func (s *smtpSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.msg.data = b
	_, s.msg.tls = s.conn.TLSConnectionState()
	s.srv.mu.Lock()
	s.srv.msgs = append(s.srv.msgs, s.msg)
	s.srv.mu.Unlock()
	return nil
}
func (s *smtpSession) Reset()        {}
func (s *smtpSession) Logout() error { return nil }

// startSMTP starts a server: with STARTTLS when cert is set, TLS from the
// start when implicit.
func startSMTP(t testing.TB, cert *tls.Certificate, implicit bool) *smtpServer {
	t.Helper()
	srv := &smtpServer{}
	s := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &smtpSession{srv: srv, conn: c}, nil
	}))
	s.Domain = "localhost"
	s.ReadTimeout, s.WriteTimeout = 10*time.Second, 10*time.Second
	s.AllowInsecureAuth = false
	var l net.Listener
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if cert != nil {
		cfg := &tls.Config{Certificates: []tls.Certificate{*cert}}
		if implicit {
			l = tls.NewListener(l, cfg)
		} else {
			s.TLSConfig = cfg
		}
	}
	go s.Serve(l)
	t.Cleanup(func() { s.Close() })
	srv.addr = l.Addr().String()
	return srv
}

func (s *smtpServer) messages() []smtpMsg {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]smtpMsg(nil), s.msgs...)
}

func emailConfig(addr string, mod func(*EmailConfig)) ReceiverConfig {
	host, port, _ := net.SplitHostPort(addr)
	p, _ := strconv.Atoi(port)
	c := &EmailConfig{
		Host: host, Port: p, From: "Pantau <pantau@acme.example>", To: []string{"Lead <lead@acme.example>", "oncall@acme.example"},
		Username: "pantau", Password: secret.New("smtp-pa55word-xyz"),
	}
	if mod != nil {
		mod(c)
	}
	return ReceiverConfig{Name: "mail", Kind: KindEmail, Email: c}
}

func TestEmailOverStartTLSWithAuth(t *testing.T) {
	cert, pool := testCert(t)
	srv := startSMTP(t, &cert, false)
	c := newFakeClock()
	n := build(t, emailConfig(srv.addr, func(e *EmailConfig) { e.StartTLS = StartTLSRequired }), Deps{Now: c.Now, TLSConfig: &tls.Config{RootCAs: pool}})
	send(t, n, testMessage(c, Trigger))
	send(t, n, testMessage(c, Resolve))
	msgs := srv.messages()
	if len(msgs) != 2 {
		t.Fatalf("%d messages", len(msgs))
	}
	m0 := msgs[0]
	if !m0.tls || m0.authed != "pantau" || m0.from != "pantau@acme.example" || strings.Join(m0.to, ",") != "lead@acme.example,oncall@acme.example" {
		t.Fatalf("envelope: %+v", m0)
	}
	noRawPII(t, "email", m0.data)
	msg, err := mail.ReadMessage(strings.NewReader(string(m0.data)))
	if err != nil {
		t.Fatal(err)
	}
	h := msg.Header
	subject, err := new(mime.WordDecoder).DecodeHeader(h.Get("Subject"))
	if err != nil || !strings.HasPrefix(subject, "[Pantau] Pantau alert: viral [acme]") {
		t.Errorf("subject %q (%v)", subject, err)
	}
	if d, err := h.Date(); err != nil || !d.Equal(c.Now()) {
		t.Errorf("date %v %v", d, err)
	}
	to, err := h.AddressList("To")
	if err != nil || len(to) != 2 || to[0].Name != "Lead" {
		t.Errorf("to %v %v", to, err)
	}
	mid := h.Get("Message-ID")
	if !strings.HasPrefix(mid, "<") || !strings.HasSuffix(mid, ".trigger@acme.example>") {
		t.Errorf("Message-ID %q", mid)
	}
	if h.Get("MIME-Version") != "1.0" || h.Get("Auto-Submitted") != "auto-generated" {
		t.Errorf("headers %v", h)
	}
	mt, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("content type %q", h.Get("Content-Type"))
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	parts := map[string]string{}
	for {
		p, err := mr.NextPart() // decodes quoted-printable
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(p)
		ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		parts[ct] = string(b)
	}
	text, html := parts["text/plain"], parts["text/html"]
	if !strings.Contains(text, "Acknowledge: https://pantau.example.com/ack?") || !strings.Contains(text, "Why:") || !strings.Contains(text, maskedPh) {
		t.Errorf("text part:\n%s", text)
	}
	if strings.Contains(html, "<script>") || !strings.Contains(html, "&lt;script&gt;") || !strings.Contains(html, `href="https://pantau.example.com/ack?`) {
		t.Errorf("html part:\n%s", html)
	}
	// The resolve threads under the trigger.
	m1, _ := mail.ReadMessage(strings.NewReader(string(msgs[1].data)))
	if m1.Header.Get("In-Reply-To") != mid || m1.Header.Get("References") != mid {
		t.Errorf("resolve threading: %q %q (trigger %q)", m1.Header.Get("In-Reply-To"), m1.Header.Get("References"), mid)
	}
}

func TestEmailImplicitTLS(t *testing.T) {
	cert, pool := testCert(t)
	srv := startSMTP(t, &cert, true)
	c := newFakeClock()
	n := build(t, emailConfig(srv.addr, func(e *EmailConfig) { e.TLS = true }), Deps{Now: c.Now, TLSConfig: &tls.Config{RootCAs: pool}})
	send(t, n, testMessage(c, Trigger))
	if msgs := srv.messages(); len(msgs) != 1 || !msgs[0].tls {
		t.Fatalf("messages %+v", msgs)
	}
}

func TestEmailFailures(t *testing.T) {
	cert, pool := testCert(t)
	c := newFakeClock()
	deps := Deps{Now: c.Now, TLSConfig: &tls.Config{RootCAs: pool}}
	plain := startSMTP(t, nil, false) // offers no STARTTLS
	tlsSrv := startSMTP(t, &cert, false)
	untrusted := Deps{Now: c.Now}

	cases := map[string]struct {
		srv       *smtpServer
		cfg       func(*EmailConfig)
		deps      Deps
		rcptErr   error
		wantRetry bool
		wantText  string
	}{
		"starttls required, not offered": {srv: plain, cfg: func(e *EmailConfig) { e.StartTLS = StartTLSRequired }, deps: deps, wantRetry: true, wantText: "does not offer STARTTLS"},
		"password without tls":           {srv: plain, deps: deps, wantRetry: false, wantText: "without TLS"},
		"untrusted certificate":          {srv: tlsSrv, deps: untrusted, wantRetry: true, wantText: "certificate"},
		"wrong password":                 {srv: tlsSrv, cfg: func(e *EmailConfig) { e.Password = secret.New("wrong-password-1") }, deps: deps, wantRetry: false, wantText: "SMTP 535"},
		"mailbox busy (4xx)":             {srv: tlsSrv, deps: deps, rcptErr: &smtp.SMTPError{Code: 450, EnhancedCode: smtp.EnhancedCode{4, 2, 1}, Message: "mailbox busy"}, wantRetry: true, wantText: "SMTP 450"},
		"no such user (5xx)":             {srv: tlsSrv, deps: deps, rcptErr: &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}, wantRetry: false, wantText: "SMTP 550"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			tc.srv.mu.Lock()
			tc.srv.rcptErr = tc.rcptErr
			tc.srv.mu.Unlock()
			defer func() { tc.srv.mu.Lock(); tc.srv.rcptErr = nil; tc.srv.mu.Unlock() }()
			n := build(t, emailConfig(tc.srv.addr, tc.cfg), tc.deps)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			retry, err := n.Notify(ctx, testMessage(c, Trigger))
			if err == nil || retry != tc.wantRetry || !strings.Contains(err.Error(), tc.wantText) {
				t.Fatalf("retry=%v err=%v; want retry=%v and %q", retry, err, tc.wantRetry, tc.wantText)
			}
			var se *StatusError
			if strings.HasPrefix(tc.wantText, "SMTP") && !errors.As(err, &se) {
				t.Errorf("not a StatusError: %T", err)
			}
		})
	}
}
