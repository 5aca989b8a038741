package notify

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"strconv"
	"strings"
	"time"

	"github.com/pantau/pantau/store/secret"
)

// Email sends a multipart (text and HTML) message over SMTP, with
// STARTTLS when the server offers it (or always, when the config requires
// it) and AUTH PLAIN only over TLS.
//
// SMTP replies follow the shared policy the way RFC 5321 defines them:
// 4yz is transient (retry), 5yz is permanent. The Message-ID is derived
// from the alert and action, so a message delivered twice (at least once)
// is one message to a mail client, and acknowledge and resolve messages
// thread under their trigger.
type Email struct {
	shown
	host        string
	port        int
	from        *mail.Address
	to          []*mail.Address
	user        string
	pass        secret.Secret
	starttls    string
	implicitTLS bool
	hello       string
	tlsBase     *tls.Config
	now         func() time.Time
	red         *redactor
}

var _ Notifier = (*Email)(nil)

// StartTLS modes.
const (
	StartTLSOpportunistic = "opportunistic"
	StartTLSRequired      = "required"
	StartTLSOff           = "off"
)

func newEmail(c *EmailConfig, path string, d Deps) (*Email, []error) {
	if c == nil {
		return nil, missingSection(path)
	}
	var errs []error
	add := func(field, format string, args ...any) {
		errs = append(errs, fieldErr(path+"."+field, format, args...))
	}
	if c.Host == "" {
		add("host", "required")
	} else if strings.ContainsAny(c.Host, " /:\r\n") && net.ParseIP(c.Host) == nil {
		add("host", "%q is not a host name (give the port in port:)", OneLine(c.Host, 80))
	}
	if c.Port < 0 || c.Port > 65535 {
		add("port", "must be 1 to 65535, got %d", c.Port)
	}
	from, err := mail.ParseAddress(c.From)
	switch {
	case c.From == "":
		add("from", "required")
	case err != nil:
		add("from", "%q is not an e-mail address", OneLine(c.From, 80))
	}
	if len(c.To) == 0 {
		add("to", "at least one address is needed")
	}
	var to []*mail.Address
	for i, t := range c.To {
		a, err := mail.ParseAddress(t)
		if err != nil {
			add("to["+strconv.Itoa(i)+"]", "%q is not an e-mail address", OneLine(t, 80))
			continue
		}
		to = append(to, a)
	}
	pass := resolveSecret(c.Password, c.PasswordFile, path, "password", false, &errs)
	if (c.Username == "") != !pass.IsSet() {
		add("username", "username and password go together")
	}
	mode := c.StartTLS
	switch mode {
	case "":
		mode = StartTLSOpportunistic
	case StartTLSOpportunistic, StartTLSRequired, StartTLSOff:
	default:
		add("starttls", "%q is not opportunistic, required or off", OneLine(mode, 40))
	}
	if c.TLS && c.StartTLS != "" {
		add("starttls", "not used with tls: true (the connection is TLS from the start)")
	}
	if pass.IsSet() && !c.TLS && mode == StartTLSOff {
		add("starttls", "off would send the password without TLS")
	}
	if strings.ContainsAny(c.Hello, " \r\n") {
		add("hello", "must be one host name")
	}
	if len(errs) > 0 {
		return nil, errs
	}
	port := c.Port
	if port == 0 {
		port = 587
		if c.TLS {
			port = 465
		}
	}
	hello := c.Hello
	if hello == "" {
		hello = "localhost"
	}
	red := &redactor{}
	red.add(pass.Reveal())
	// As AUTH PLAIN sends them, which a hostile server could echo.
	red.add(base64.StdEncoding.EncodeToString([]byte("\x00" + c.Username + "\x00" + pass.Reveal())))
	return &Email{
		shown: describe(KindEmail, "smtp://"+net.JoinHostPort(c.Host, strconv.Itoa(port))),
		host:  c.Host, port: port, from: from, to: to, user: c.Username, pass: pass,
		starttls: mode, implicitTLS: c.TLS, hello: hello, tlsBase: d.TLSConfig, now: d.now(), red: red,
	}, nil
}

func (e *Email) tlsConfig() *tls.Config {
	var c *tls.Config
	if e.tlsBase != nil {
		c = e.tlsBase.Clone()
	} else {
		c = &tls.Config{}
	}
	c.ServerName = e.host
	if c.MinVersion < tls.VersionTLS12 {
		c.MinVersion = tls.VersionTLS12
	}
	return c
}

// Notify implements Notifier.
func (e *Email) Notify(ctx context.Context, m Message) (bool, error) {
	msg, err := e.compose(m)
	if err != nil {
		return false, err
	}
	return e.send(ctx, msg)
}

func (e *Email) target() string { return "smtp://" + net.JoinHostPort(e.host, strconv.Itoa(e.port)) }

// fail reports a network or TLS failure: retry.
func (e *Email) fail(step string, err error) (bool, error) {
	return true, e.red.errorf("email: %s: %s: %v", e.target(), step, err)
}

// reply reports an SMTP reply by its code class, or a network failure.
func (e *Email) reply(step string, err error) (bool, error) {
	var te *textproto.Error
	if !errors.As(err, &te) {
		return e.fail(step, err)
	}
	se := &StatusError{
		Kind:   KindEmail,
		Code:   te.Code,
		Retry:  te.Code < 500,
		Body:   trimText(e.red.String(te.Msg), maxBodyShown),
		target: e.target() + ": " + step,
	}
	return se.Retry, se
}

func (e *Email) send(ctx context.Context, msg []byte) (bool, error) {
	addr := net.JoinHostPort(e.host, strconv.Itoa(e.port))
	dialer := &net.Dialer{}
	var conn net.Conn
	var err error
	if e.implicitTLS {
		conn, err = (&tls.Dialer{NetDialer: dialer, Config: e.tlsConfig()}).DialContext(ctx, "tcp", addr)
	} else {
		conn, err = dialer.DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		return e.fail("connect", err)
	}
	defer conn.Close()
	// net/smtp takes no context: bound the conversation by the context's
	// deadline and cut it when the context is cancelled.
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()

	c, err := smtp.NewClient(conn, e.host)
	if err != nil {
		return e.reply("greeting", err)
	}
	defer c.Close()
	if err := c.Hello(e.hello); err != nil {
		return e.reply("EHLO", err)
	}
	secure := e.implicitTLS
	if !secure && e.starttls != StartTLSOff {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(e.tlsConfig()); err != nil {
				return e.reply("STARTTLS", err)
			}
			secure = true
		} else if e.starttls == StartTLSRequired {
			// Retry: a server that stops offering STARTTLS may be under a
			// downgrade attack or misconfigured for a while; never send
			// in clear, and never drop the alert either.
			return true, fmt.Errorf("email: %s: the server does not offer STARTTLS, which the config requires", e.target())
		}
	}
	if e.user != "" {
		if !secure {
			return false, fmt.Errorf("email: %s: refusing to send the password without TLS (the server does not offer STARTTLS)", e.target())
		}
		if ok, _ := c.Extension("AUTH"); !ok {
			return false, fmt.Errorf("email: %s: the server offers no AUTH, but a username is configured", e.target())
		}
		if err := c.Auth(smtp.PlainAuth("", e.user, e.pass.Reveal(), e.host)); err != nil {
			return e.reply("AUTH", err)
		}
	}
	if err := c.Mail(e.from.Address); err != nil {
		return e.reply("MAIL FROM", err)
	}
	for _, t := range e.to {
		if err := c.Rcpt(t.Address); err != nil {
			return e.reply("RCPT TO", err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return e.reply("DATA", err)
	}
	if _, err := w.Write(msg); err != nil {
		return e.fail("DATA", err)
	}
	// Close sends the final dot and reads the server's verdict: only now
	// has the server accepted the message.
	if err := w.Close(); err != nil {
		return e.reply("DATA", err)
	}
	// The message is accepted; a failed QUIT does not change that.
	_ = c.Quit()
	return false, nil
}

// messageID is the Message-ID of an action on an alert, stable across
// retries.
func (e *Email) messageID(alertID string, action Action) string {
	sum := sha256.Sum256([]byte(alertID + "\x00" + string(action)))
	domain := "pantau.invalid"
	if i := strings.LastIndexByte(e.from.Address, '@'); i >= 0 && i < len(e.from.Address)-1 {
		domain = e.from.Address[i+1:]
	}
	return "<" + hex.EncodeToString(sum[:16]) + "." + string(action) + "@" + domain + ">"
}

// compose writes the RFC 5322 message: headers, then a
// multipart/alternative body with a text and an HTML part, both UTF-8 and
// quoted-printable.
func (e *Email) compose(m Message) ([]byte, error) {
	if m.Digest != nil {
		return e.composeDigest(m)
	}
	var b bytes.Buffer
	header := func(name, value string) {
		b.WriteString(fold(name + ": " + value))
		b.WriteString("\r\n")
	}
	to := make([]string, len(e.to))
	for i, a := range e.to {
		to[i] = a.String()
	}
	header("From", e.from.String())
	header("To", strings.Join(to, ", "))
	header("Subject", mime.QEncoding.Encode("utf-8", OneLine("[Pantau] "+m.Title, 250)))
	header("Date", e.now().Format(time.RFC1123Z))
	header("Message-ID", e.messageID(m.AlertID, m.Action))
	if m.Action == Acknowledge || m.Action == Resolve {
		root := e.messageID(m.AlertID, Trigger)
		header("In-Reply-To", root)
		header("References", root)
	}
	header("MIME-Version", "1.0")
	// RFC 3834: no vacation auto-replies to an alert.
	header("Auto-Submitted", "auto-generated")
	header("X-Auto-Response-Suppress", "All")
	mw := multipart.NewWriter(&b)
	header("Content-Type", `multipart/alternative; boundary="`+mw.Boundary()+`"`)
	b.WriteString("\r\n")

	part := func(ctype, body string) error {
		pw, err := mw.CreatePart(map[string][]string{
			"Content-Type":              {ctype + "; charset=utf-8"},
			"Content-Transfer-Encoding": {"quoted-printable"},
		})
		if err != nil {
			return err
		}
		qw := quotedprintable.NewWriter(pw)
		if _, err := qw.Write([]byte(body)); err != nil {
			return err
		}
		return qw.Close()
	}
	if err := part("text/plain", emailText(m)); err != nil {
		return nil, err
	}
	var h bytes.Buffer
	if err := emailHTML.Execute(&h, emailView{M: m, Icon: icon(m.Action), Facts: facts(m), Trigger: m.Action == Trigger}); err != nil {
		return nil, err
	}
	if err := part("text/html", h.String()); err != nil {
		return nil, err
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// fold folds a header line at spaces so no line exceeds 78 characters
// where it can (RFC 5322 2.2.3); encoded words are space-separated, so
// long subjects fold too.
func fold(line string) string {
	if len(line) <= 78 {
		return line
	}
	var out strings.Builder
	n := 0
	for i, w := range strings.Split(line, " ") {
		if i > 0 {
			if n+1+len(w) > 78 {
				out.WriteString("\r\n ")
				n = 1
			} else {
				out.WriteByte(' ')
				n++
			}
		}
		out.WriteString(w)
		n += len(w)
	}
	return out.String()
}

func emailText(m Message) string {
	var b strings.Builder
	b.WriteString(m.Title + "\n\n")
	b.WriteString(plainText(m) + "\n")
	for _, l := range []struct{ label, url string }{
		{"Acknowledge", m.AckURL}, {"Open mention", m.MentionURL}, {"Dashboard", m.DashboardURL},
	} {
		if l.url != "" {
			b.WriteString("\n" + l.label + ": " + l.url)
		}
	}
	b.WriteString("\n\n-- \nSent by Pantau. Alert " + m.AlertID + "\n")
	return b.String()
}

type emailView struct {
	M       Message
	Icon    string
	Facts   string
	Trigger bool
}

// emailHTML escapes every value; html/template also refuses URLs that are
// not http(s) in href.
var emailHTML = template.Must(template.New("email").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>{{.M.Title}}</title></head>
<body style="font-family:system-ui,-apple-system,Segoe UI,sans-serif;line-height:1.45;color:#222">
<h2 style="margin:0 0 .5em">{{.Icon}} {{.M.Title}}</h2>
{{if .M.Summary}}<p>{{.M.Summary}}</p>{{end}}
{{if .M.Reasons}}<p style="margin-bottom:.2em"><b>Why</b></p><ul style="margin-top:0">{{range .M.Reasons}}<li>{{.}}</li>{{end}}</ul>{{end}}
{{if and .Trigger .M.Excerpt}}<blockquote style="border-left:3px solid #ccc;margin:1em 0;padding-left:1em">{{.M.Excerpt}}{{if .M.Author}}<br>— {{.M.Author}}{{end}}</blockquote>{{end}}
<p style="color:#666;font-size:90%">{{.Facts}}</p>
<p>{{if .M.AckURL}}<a href="{{.M.AckURL}}" style="font-weight:bold">Acknowledge</a> &nbsp; {{end}}{{if .M.MentionURL}}<a href="{{.M.MentionURL}}">Open mention</a> &nbsp; {{end}}{{if .M.DashboardURL}}<a href="{{.M.DashboardURL}}">Dashboard</a>{{end}}</p>
</body></html>
`))
