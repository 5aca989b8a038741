package notify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/pantau/pantau/store/secret"
)

// Webhook posts the Message as JSON to any URL, signed so the receiver can
// tell it came from Pantau and was not replayed long after:
//
//	X-Pantau-Timestamp: <unix seconds>
//	X-Pantau-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>
//	X-Pantau-Event: trigger | acknowledge | resolve | digest
//	Idempotency-Key: <hex>, the same for every delivery of one alert's action
//
// A receiver should check the signature in constant time, reject
// timestamps more than a few minutes old, and drop repeated
// Idempotency-Keys: delivery is at least once.
type Webhook struct {
	shown
	url    secret.Secret
	secret secret.Secret
	now    func() time.Time
	p      *poster
}

var _ Notifier = (*Webhook)(nil)

// minWebhookSecret is the shortest signing secret accepted, in bytes.
const minWebhookSecret = 16

func newWebhook(c *WebhookConfig, path string, d Deps) (*Webhook, []error) {
	if c == nil {
		return nil, missingSection(path)
	}
	var errs []error
	u := resolveSecret(c.URL, c.URLFile, path, "url", true, &errs)
	if u.IsSet() {
		checkURL(u.Reveal(), path+".url", true, &errs)
	}
	key := resolveSecret(c.Secret, c.SecretFile, path, "secret", true, &errs)
	if key.IsSet() && len(key.Reveal()) < minWebhookSecret {
		errs = append(errs, fieldErr(path+".secret", "must be at least %d bytes", minWebhookSecret))
	}
	if len(errs) > 0 {
		return nil, errs
	}
	red := &redactor{}
	red.addURL(u.Reveal())
	red.add(key.Reveal())
	return &Webhook{shown: describe(KindWebhook, shownURL(u.Reveal(), true)), url: u, secret: key, now: d.now(), p: newPoster(KindWebhook, d, red, shownURL(u.Reveal(), true))}, nil
}

// WebhookSignature computes the X-Pantau-Signature value for a body sent
// at the given X-Pantau-Timestamp value.
func WebhookSignature(key []byte, timestamp string, body []byte) string {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(timestamp))
	h.Write([]byte("."))
	h.Write(body)
	return "sha256=" + hex.EncodeToString(h.Sum(nil))
}

// IdempotencyKey is the key of one action on one alert: the same across
// retries and restarts, different between trigger and resolve.
func IdempotencyKey(alertID string, action Action) string {
	sum := sha256.Sum256([]byte(alertID + "\x00" + string(action)))
	return hex.EncodeToString(sum[:16])
}

// Notify implements Notifier.
func (w *Webhook) Notify(ctx context.Context, m Message) (bool, error) {
	body, err := json.Marshal(m)
	if err != nil {
		return false, err
	}
	ts := strconv.FormatInt(w.now().Unix(), 10)
	h := http.Header{
		"Content-Type":       {"application/json"},
		"X-Pantau-Timestamp": {ts},
		"X-Pantau-Signature": {WebhookSignature([]byte(w.secret.Reveal()), ts, body)},
		"X-Pantau-Event":     {string(m.Action)},
		"Idempotency-Key":    {IdempotencyKey(m.AlertID, m.Action)},
	}
	return w.p.post(ctx, w.url.Reveal(), h, body)
}
