package notify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/pantau/pantau/store"
	"github.com/pantau/pantau/store/secret"
)

// An acknowledge link lets the on-call lead acknowledge an alert from the
// notification itself, without logging in: the link carries an HMAC of
// the alert id and an expiry, made with a key only Pantau has.
//
//	{public_url}/ack?alert=<id>&exp=<unix seconds>&sig=<base64url HMAC-SHA256>
//
// Opening it (GET) only shows a confirmation page with a button; the
// button POSTs. Chat apps, mail scanners and link previewers fetch links
// on their own, and a GET that acknowledged would let them do it.

// Errors of AckSigner.Verify.
var (
	ErrAckExpired   = errors.New("acknowledge link expired")
	ErrAckSignature = errors.New("acknowledge link is not valid")
)

// MinAckKeyLen is the shortest acceptable signing key, in bytes.
const MinAckKeyLen = 32

// AckSigner signs and verifies acknowledge links.
type AckSigner struct {
	Key secret.Secret
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

func (s *AckSigner) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}

// mac computes the signature. The fixed prefix and separators keep an
// acknowledge signature from being valid for anything else signed with
// the same key, and "a|b" + "1" from colliding with "a|b1".
func (s *AckSigner) mac(alertID string, exp int64) []byte {
	h := hmac.New(sha256.New, []byte(s.Key.Reveal()))
	h.Write([]byte("pantau-ack-v1\x00"))
	h.Write([]byte(alertID))
	h.Write([]byte{0})
	h.Write([]byte(strconv.FormatInt(exp, 10)))
	return h.Sum(nil)
}

// Sign returns the expiry (unix seconds, now + ttl) and signature for an
// alert's acknowledge link. Without a key it returns an empty signature,
// which Verify never accepts.
func (s *AckSigner) Sign(alertID string, ttl time.Duration) (exp int64, sig string) {
	exp = s.now().Add(ttl).Unix()
	if !s.Key.IsSet() {
		return exp, ""
	}
	return exp, base64.RawURLEncoding.EncodeToString(s.mac(alertID, exp))
}

// Verify checks a link's signature (in constant time) and then its
// expiry.
func (s *AckSigner) Verify(alertID string, exp int64, sig string) error {
	if !s.Key.IsSet() {
		return ErrAckSignature
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, s.mac(alertID, exp)) {
		return ErrAckSignature
	}
	if s.now().Unix() >= exp {
		return ErrAckExpired
	}
	return nil
}

// Link returns the full acknowledge URL under publicURL.
func (s *AckSigner) Link(publicURL, alertID string, ttl time.Duration) string {
	exp, sig := s.Sign(alertID, ttl)
	if sig == "" {
		return ""
	}
	q := url.Values{"alert": {alertID}, "exp": {strconv.FormatInt(exp, 10)}, "sig": {sig}}
	return strings.TrimRight(publicURL, "/") + "/ack?" + q.Encode()
}

// maxAckForm bounds the form a POST may carry.
const maxAckForm = 16 << 10

// maxAckBy bounds the name a person may type on the confirmation page.
const maxAckBy = 64

// AckHandler serves acknowledge links. Mount it at /ack on the public
// address. GET (and HEAD) verify the link and show a confirmation page;
// POST verifies again and calls ack with the alert id and who (the name
// typed on the page, if any, marked as coming from a link). verify is
// usually AckSigner.Verify; ack is usually the pipeline's Acknowledge.
// Errors of ack that wrap store.ErrNotFound answer 404, store.ErrConflict
// 409; others 500 without detail.
func AckHandler(verify func(alertID string, exp int64, sig string) error, ack func(id, by string) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Cache-Control", "no-store")
		// The URL holds the signature: do not pass it on to other sites.
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")

		var vals url.Values
		switch r.Method {
		case http.MethodGet, http.MethodHead:
			vals = r.URL.Query()
		case http.MethodPost:
			r.Body = http.MaxBytesReader(w, r.Body, maxAckForm)
			if err := r.ParseForm(); err != nil {
				ackPage(w, http.StatusBadRequest, ackView{Heading: "Bad request", Text: "The form could not be read."})
				return
			}
			vals = r.PostForm
		default:
			h.Set("Allow", "GET, HEAD, POST")
			ackPage(w, http.StatusMethodNotAllowed, ackView{Heading: "Method not allowed"})
			return
		}
		id, expText, sig := vals.Get("alert"), vals.Get("exp"), vals.Get("sig")
		exp, perr := strconv.ParseInt(expText, 10, 64)
		if id == "" || len(id) > 4096 || perr != nil || len(sig) > 256 {
			ackPage(w, http.StatusBadRequest, ackView{Heading: "Not an acknowledge link", Text: "The link is incomplete. Open the alert on the dashboard instead."})
			return
		}
		if err := verify(id, exp, sig); err != nil {
			if errors.Is(err, ErrAckExpired) {
				ackPage(w, http.StatusGone, ackView{Heading: "This link has expired", Text: "Acknowledge the alert on the dashboard instead.", Alert: id})
				return
			}
			ackPage(w, http.StatusForbidden, ackView{Heading: "This link is not valid", Text: "Acknowledge the alert on the dashboard instead."})
			return
		}
		if r.Method != http.MethodPost {
			ackPage(w, http.StatusOK, ackView{Heading: "Acknowledge this alert?", Alert: id, Exp: expText, Sig: sig, Confirm: true})
			return
		}
		by := "ack link"
		if name := OneLine(vals.Get("by"), maxAckBy); name != "" {
			by = name + " (ack link)"
		}
		switch err := ack(id, by); {
		case err == nil:
			ackPage(w, http.StatusOK, ackView{Heading: "Acknowledged", Text: "Thank you. The alert is marked as being handled by " + by + ".", Alert: id})
		case errors.Is(err, store.ErrNotFound):
			ackPage(w, http.StatusNotFound, ackView{Heading: "No such alert", Alert: id})
		case errors.Is(err, store.ErrConflict):
			ackPage(w, http.StatusConflict, ackView{Heading: "Already resolved", Text: "This alert was resolved; there is nothing left to acknowledge.", Alert: id})
		default:
			// The error may say things about the server; the page is public.
			ackPage(w, http.StatusInternalServerError, ackView{Heading: "Could not acknowledge", Text: "Something went wrong. Try again, or use the dashboard.", Alert: id})
		}
	})
}

type ackView struct {
	Heading, Text string
	Alert         string
	Exp, Sig      string
	Confirm       bool
	MaxBy         int
}

// ackTemplate escapes everything it is given: the alert id holds a
// mention key, which comes from the internet.
var ackTemplate = template.Must(template.New("ack").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>Pantau – {{.Heading}}</title>
<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;line-height:1.5}code{word-break:break-all}button{font-size:1.1rem;padding:.5rem 1.2rem}</style>
</head><body>
<h1>{{.Heading}}</h1>
{{if .Alert}}<p>Alert: <code>{{.Alert}}</code></p>{{end}}
{{if .Text}}<p>{{.Text}}</p>{{end}}
{{if .Confirm}}<form method="post">
<input type="hidden" name="alert" value="{{.Alert}}">
<input type="hidden" name="exp" value="{{.Exp}}">
<input type="hidden" name="sig" value="{{.Sig}}">
<p><label>Your name (optional): <input name="by" maxlength="{{.MaxBy}}" autocomplete="name"></label></p>
<p><button type="submit">Acknowledge</button></p>
</form>{{end}}
</body></html>
`))

func ackPage(w http.ResponseWriter, code int, v ackView) {
	v.MaxBy = maxAckBy
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	_ = ackTemplate.Execute(w, v)
}
