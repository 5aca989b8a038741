package notify

import (
	"bytes"
	"encoding/base64"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/textproto"
	"strings"
	"time"
)

// DigestContent is a reputation digest rendered once, by the digest
// package, for every receiver that can show more than a line: e-mail gets
// the text, the HTML and the inline images; Slack gets its own Block Kit
// payload. Other receivers fall back to the Message's Title, Summary and
// DashboardURL. It travels in the outbox with the Message, so a retry
// sends exactly what was rendered at the period's end.
type DigestContent struct {
	// Subject is the e-mail subject (one line).
	Subject string `json:"subject"`
	// Text is the plain-text body.
	Text string `json:"text"`
	// HTML is the whole HTML document. The digest package builds it with
	// html/template, so every text from a mention is escaped.
	HTML string `json:"html,omitempty"`
	// Images are shown inline by the HTML as cid:ContentID.
	Images []InlineImage `json:"images,omitempty"`
	// Slack is the incoming-webhook payload (Block Kit), sent as it is.
	Slack []byte `json:"slack,omitempty"`
}

// InlineImage is an image part of a multipart/related e-mail.
type InlineImage struct {
	// ContentID without angle brackets ("chart@pantau").
	ContentID   string `json:"content_id"`
	ContentType string `json:"content_type"` // image/png
	Filename    string `json:"filename"`
	Data        []byte `json:"data"`
}

// Compose returns the RFC 5322 message Notify would send for m, for
// previews (pantau digest -out) and tests.
func (e *Email) Compose(m Message) ([]byte, error) { return e.compose(m) }

// composeDigest writes a digest as multipart/related: first a
// multipart/alternative with the text and HTML parts, then each inline
// image, which the HTML references by Content-ID. Mail clients show the
// chart in place and do not list it as an attachment.
func (e *Email) composeDigest(m Message) ([]byte, error) {
	d := m.Digest
	var b bytes.Buffer
	header := func(name, value string) {
		b.WriteString(fold(name + ": " + value))
		b.WriteString("\r\n")
	}
	to := make([]string, len(e.to))
	for i, a := range e.to {
		to[i] = a.String()
	}
	subject := d.Subject
	if subject == "" {
		subject = m.Title
	}
	header("From", e.from.String())
	header("To", strings.Join(to, ", "))
	header("Subject", mime.QEncoding.Encode("utf-8", OneLine(subject, 250)))
	header("Date", e.now().Format(time.RFC1123Z))
	// Stable per digest and period: a digest delivered twice (at least
	// once) is one message to a mail client.
	header("Message-ID", e.messageID(m.AlertID, m.Action))
	header("MIME-Version", "1.0")
	header("Auto-Submitted", "auto-generated")
	header("X-Auto-Response-Suppress", "All")

	ctype, body, err := alternative(d)
	if err != nil {
		return nil, err
	}
	if len(d.Images) == 0 {
		header("Content-Type", ctype)
		b.WriteString("\r\n")
		b.Write(body)
		return b.Bytes(), nil
	}
	related := multipart.NewWriter(&b)
	header("Content-Type", `multipart/related; type="multipart/alternative"; boundary="`+related.Boundary()+`"`)
	b.WriteString("\r\n")
	pw, err := related.CreatePart(textproto.MIMEHeader{"Content-Type": {ctype}})
	if err != nil {
		return nil, err
	}
	if _, err := pw.Write(body); err != nil {
		return nil, err
	}
	for _, img := range d.Images {
		if err := writeImage(related, img); err != nil {
			return nil, err
		}
	}
	if err := related.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// alternative builds the multipart/alternative of the text and HTML
// parts: its Content-Type (with the boundary) and its body.
func alternative(d *DigestContent) (string, []byte, error) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	part := func(ctype, text string) error {
		pw, err := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {ctype + "; charset=utf-8"},
			"Content-Transfer-Encoding": {"quoted-printable"},
		})
		if err != nil {
			return err
		}
		qw := quotedprintable.NewWriter(pw)
		if _, err := qw.Write([]byte(text)); err != nil {
			return err
		}
		return qw.Close()
	}
	if err := part("text/plain", d.Text); err != nil {
		return "", nil, err
	}
	if d.HTML != "" {
		if err := part("text/html", d.HTML); err != nil {
			return "", nil, err
		}
	}
	if err := mw.Close(); err != nil {
		return "", nil, err
	}
	return `multipart/alternative; boundary="` + mw.Boundary() + `"`, body.Bytes(), nil
}

// writeImage writes one inline image part, base64 in lines of 76.
func writeImage(mw *multipart.Writer, img InlineImage) error {
	name := strings.Map(func(r rune) rune {
		if r < 0x21 || r > 0x7e || r == '"' || r == '\\' {
			return '_'
		}
		return r
	}, img.Filename)
	pw, err := mw.CreatePart(textproto.MIMEHeader{
		"Content-Type":              {img.ContentType},
		"Content-Transfer-Encoding": {"base64"},
		"Content-Id":                {"<" + img.ContentID + ">"},
		"Content-Disposition":       {`inline; filename="` + name + `"`},
	})
	if err != nil {
		return err
	}
	enc := base64.StdEncoding.EncodeToString(img.Data)
	for len(enc) > 76 {
		if _, err := pw.Write([]byte(enc[:76] + "\r\n")); err != nil {
			return err
		}
		enc = enc[76:]
	}
	_, err = pw.Write([]byte(enc + "\r\n"))
	return err
}
