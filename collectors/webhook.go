package collectors

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/pantau/pantau/store"
	"github.com/pantau/pantau/store/secret"
)

// KindWebhook is the source kind for the inbound webhook: other tools (a
// helpdesk, a social-listening suite, a script) POST mentions to Pantau.
// The wire format, auth and answers are documented in docs/webhook.md.
const KindWebhook = "webhook"

const (
	// DefaultWebhookMaxBody caps a request body when the config does not.
	DefaultWebhookMaxBody = 1 << 20
	maxWebhookMaxBody     = 16 << 20
	// maxWebhookItems caps the mentions in one request; the body cap
	// bounds the bytes, this bounds the per-item work and the report.
	maxWebhookItems = 1000
	// webhookMaxSkew is how far a signed request's timestamp may be from
	// now, either way. Older requests are refused as possible replays.
	webhookMaxSkew = 5 * time.Minute
	// webhookMaxFuture: a created_at further ahead is a wrong clock or
	// hostile, and would pin the mention to the top of the queue.
	webhookMaxFuture = time.Hour
	minWebhookSecret = 16
	maxWebhookIDLen  = 512

	// The request headers of the signed form.
	WebhookTimestampHeader = "X-Pantau-Timestamp"
	WebhookSignatureHeader = "X-Pantau-Signature"
)

var (
	webhookLabelPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,31}$`)
	webhookKindPattern  = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,31}$`)
	webhookLangPattern  = regexp.MustCompile(`^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8}){0,4}$`)
)

// WebhookConfig holds the settings of a webhook source (the "webhook:"
// section).
type WebhookConfig struct {
	// Secret authenticates every request, as a bearer token or as the
	// HMAC key of a signature. Required; write it as ${ENV_VAR} or use
	// SecretFile, never inline.
	Secret     secret.Secret `yaml:"secret"`
	SecretFile string        `yaml:"secret_file"`
	// MaxBodyBytes caps a request body; zero means 1 MiB.
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
	// MentionKind is the kind stored on the mentions, so the namespace of
	// their keys (kind + ":" + native id); empty means "webhook". Give a
	// tool that sends its own ids rather than the platforms' a kind of its
	// own, so they cannot collide with another tool's.
	MentionKind string `yaml:"mention_kind"`
	// Platforms, when set, are the only platform labels items may carry
	// ("x", "instagram"); an item without one is then refused.
	Platforms []string `yaml:"platforms"`
}

func (c *WebhookConfig) validate(path string) []error {
	if c == nil {
		return []error{fieldErr(path+".secret", "required (set secret: ${ENV_VAR} or secret_file; make one with `openssl rand -hex 32`)")}
	}
	var errs []error
	sec, err := secret.Resolve(c.Secret, c.SecretFile)
	switch {
	case err != nil:
		errs = append(errs, fieldErr(path+".secret_file", "%v", err))
	case !sec.IsSet():
		errs = append(errs, fieldErr(path+".secret", "required (set secret: ${ENV_VAR} or secret_file; make one with `openssl rand -hex 32`)"))
	case len(sec.Reveal()) < minWebhookSecret:
		field := ".secret"
		if c.SecretFile != "" {
			field = ".secret_file"
		}
		// The length only: never the value.
		errs = append(errs, fieldErr(path+field, "too short: use at least %d characters (make one with `openssl rand -hex 32`)", minWebhookSecret))
	}
	if c.MaxBodyBytes < 0 || c.MaxBodyBytes > maxWebhookMaxBody {
		errs = append(errs, fieldErr(path+".max_body_bytes", "must be between 0 (default %d) and %d, got %d", DefaultWebhookMaxBody, maxWebhookMaxBody, c.MaxBodyBytes))
	}
	if c.MentionKind != "" && !webhookKindPattern.MatchString(c.MentionKind) {
		errs = append(errs, fieldErr(path+".mention_kind", "%q must be 1 to 32 lower-case letters, digits, '_' or '-', starting with a letter", truncateUTF8(c.MentionKind, 40)))
	}
	seen := map[string]bool{}
	for i, p := range c.Platforms {
		fp := fmt.Sprintf("%s.platforms[%d]", path, i)
		switch {
		case !webhookLabelPattern.MatchString(p):
			errs = append(errs, fieldErr(fp, "%q must be 1 to 32 lower-case letters, digits, '.', '_' or '-'", truncateUTF8(p, 40)))
		case seen[p]:
			errs = append(errs, fieldErr(fp, "duplicate platform %q", p))
		}
		seen[p] = true
	}
	return errs
}

// Webhook is the collector of a "webhook" source. It has nothing to poll:
// mentions arrive through the http.Handler that Handler returns, and are
// handed to the same Sink the scheduler uses. It is still a Collector, so
// the source has a state, a health line and a coverage statement on the
// dashboard like every other.
type Webhook struct {
	name      string
	brand     string
	secret    secret.Secret
	maxBody   int64
	kind      string // the mentions' kind
	platforms map[string]bool
	// brandHandles are the brand's own handles per platform label, lower
	// case, so a brand reply is recognised even when the tool does not
	// set by_brand.
	brandHandles map[string]map[string]bool
	now          func() time.Time
}

var (
	_ Collector = (*Webhook)(nil)
	_ Coverage  = (*Webhook)(nil)
)

// NewWebhook builds the collector of a "webhook" source. cfg should have
// passed Validate. f only lends its clock; nil means time.Now.
func NewWebhook(cfg SourceConfig, brand Brand, f *Fetcher) (*Webhook, error) {
	wc := cfg.Webhook
	if wc == nil {
		return nil, fmt.Errorf("webhook source %q: no webhook section (a secret is required)", cfg.Name)
	}
	sec, err := secret.Resolve(wc.Secret, wc.SecretFile)
	if err != nil {
		return nil, fmt.Errorf("webhook source %q: secret: %w", cfg.Name, err)
	}
	if len(sec.Reveal()) < minWebhookSecret {
		return nil, fmt.Errorf("webhook source %q: secret missing or shorter than %d characters", cfg.Name, minWebhookSecret)
	}
	w := &Webhook{
		name:         cfg.Name,
		brand:        brand.Name,
		secret:       sec,
		maxBody:      wc.MaxBodyBytes,
		kind:         wc.MentionKind,
		platforms:    map[string]bool{},
		brandHandles: map[string]map[string]bool{},
		now:          time.Now,
	}
	if w.maxBody <= 0 {
		w.maxBody = DefaultWebhookMaxBody
	}
	if w.kind == "" {
		w.kind = KindWebhook
	}
	if f != nil {
		w.now = f.Now
	}
	for _, p := range wc.Platforms {
		w.platforms[p] = true
	}
	for label, handles := range brand.Accounts {
		set := map[string]bool{}
		for _, h := range handles {
			set[webhookHandle(h)] = true
		}
		w.brandHandles[label] = set
	}
	return w, nil
}

// String names the source. It also keeps fmt from printing the secret:
// fmt cannot call Secret.String on an unexported field, so printing the
// struct itself would show the value.
func (w *Webhook) String() string { return "webhook source " + strconv.Quote(w.name) }

// GoString is String, for %#v.
func (w *Webhook) GoString() string { return w.String() }

// Name is the configured source's name.
func (w *Webhook) Name() string { return w.name }

// Kind is "webhook".
func (w *Webhook) Kind() string { return KindWebhook }

// Poll has nothing to fetch: mentions are pushed. It returns an empty
// batch, which keeps the source's health fresh.
func (w *Webhook) Poll(context.Context, string) (store.Batch, error) {
	return store.Batch{Source: w.name, Kind: KindWebhook, At: w.now()}, nil
}

// Coverage says what a pushed source sees.
func (w *Webhook) Coverage() string {
	return "pushed by another tool: Pantau sees exactly what it sends, with the engagement it reports, and cannot re-read threads or refresh counts"
}

// Handler is the HTTP endpoint of this source: mount it at
// POST /hooks/{source name} (Webhooks does that for every webhook source
// of a config). It hands accepted mentions to sink, the same Sink the
// scheduler uses. logger nil discards logs.
func (w *Webhook) Handler(sink Sink, logger *slog.Logger) http.Handler {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &webhookHandler{w: w, sink: sink, log: logger.With("source", w.name, "kind", KindWebhook)}
}

type webhookHandler struct {
	w    *Webhook
	sink Sink
	log  *slog.Logger
}

// webhookReport is the JSON answer to a request that was read.
type webhookReport struct {
	// Error is set when nothing was stored.
	Error      string          `json:"error,omitempty"`
	Accepted   int             `json:"accepted"`
	New        int             `json:"new"`
	Duplicates int             `json:"duplicates"`
	Rejected   []webhookReject `json:"rejected"`
}

// webhookReject is one refused item.
type webhookReject struct {
	// Index is the item's position in "mentions" (0 for a single object).
	Index int    `json:"index"`
	ID    string `json:"id,omitempty"`
	Error string `json:"error"`
}

func (h *webhookHandler) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		rw.Header().Set("Allow", http.MethodPost)
		writeWebhookError(rw, http.StatusMethodNotAllowed, "method not allowed: POST mentions as JSON")
		return
	}
	w := h.w
	now := w.now()

	// Credentials are checked before the body is read where they can be
	// (a bearer token, a signature's timestamp), so a stranger cannot make
	// Pantau read and parse a megabyte.
	signed := false
	switch {
	case r.Header.Get("Authorization") != "":
		if !w.bearerOK(r.Header.Get("Authorization")) {
			h.unauthorized(rw, r, "wrong bearer token")
			return
		}
	case r.Header.Get(WebhookSignatureHeader) != "":
		if reason := w.timestampProblem(r.Header.Get(WebhookTimestampHeader), now); reason != "" {
			h.unauthorized(rw, r, reason)
			return
		}
		signed = true
	default:
		h.unauthorized(rw, r, "no credentials")
		return
	}

	if r.ContentLength > w.maxBody {
		writeWebhookError(rw, http.StatusRequestEntityTooLarge, fmt.Sprintf("body larger than %d bytes", w.maxBody))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(rw, r.Body, w.maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeWebhookError(rw, http.StatusRequestEntityTooLarge, fmt.Sprintf("body larger than %d bytes", w.maxBody))
			return
		}
		writeWebhookError(rw, http.StatusBadRequest, "could not read the body")
		return
	}
	if signed && !w.signatureOK(r.Header.Get(WebhookTimestampHeader), r.Header.Get(WebhookSignatureHeader), body) {
		h.unauthorized(rw, r, "bad signature")
		return
	}

	raws, labels, err := splitWebhookBody(body)
	if err != nil {
		writeWebhookError(rw, http.StatusBadRequest, err.Error())
		return
	}
	rep := webhookReport{Rejected: []webhookReject{}}
	var batch store.Batch
	for i, raw := range raws {
		m, sample, id, err := w.parseItem(raw, now)
		if err != nil {
			rep.Rejected = append(rep.Rejected, webhookReject{Index: i, ID: truncateUTF8(cleanText(id), 100), Error: labels[i] + ": " + err.Error()})
			continue
		}
		batch.Mentions = append(batch.Mentions, m)
		if sample != nil {
			batch.Samples = append(batch.Samples, *sample)
		}
	}
	if len(batch.Mentions) == 0 {
		rep.Error = "no valid mentions"
		if len(rep.Rejected) == 1 {
			rep.Error = rep.Rejected[0].Error
		}
		h.log.Info("webhook request refused", "rejected", len(rep.Rejected))
		writeWebhookJSON(rw, http.StatusBadRequest, rep)
		return
	}

	batch.Source, batch.Kind, batch.At = w.name, KindWebhook, now
	batch.Coverage = w.Coverage()
	// The client leaving must not abandon a half-stored batch: the store
	// commits it whole or not at all, so let it finish, within bounds.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), DefaultIngestTimeout)
	res, err := h.sink.Ingest(ctx, batch)
	cancel()
	if err != nil {
		h.log.Error("webhook ingest failed", "err", redactText(err.Error()))
		rw.Header().Set("Retry-After", "30")
		writeWebhookError(rw, http.StatusServiceUnavailable, "could not store the mentions; nothing was stored, try again later")
		return
	}
	for _, rej := range res.Rejected {
		// Validation mirrors the store's checks, so this is not expected;
		// the store's message names the item.
		rep.Rejected = append(rep.Rejected, webhookReject{Index: -1, Error: truncateUTF8(cleanText(rej.Error()), 300)})
	}
	rep.Accepted = len(batch.Mentions) - len(res.Rejected)
	rep.New, rep.Duplicates = len(res.New), res.Duplicates
	status := http.StatusOK
	if len(rep.Rejected) > 0 {
		status = http.StatusMultiStatus
	}
	h.log.Info("webhook received", "accepted", rep.Accepted, "new", rep.New, "duplicates", rep.Duplicates, "rejected", len(rep.Rejected))
	writeWebhookJSON(rw, status, rep)
}

// unauthorized answers 401 with nothing a guesser could use: the reason is
// logged, not sent, and neither the secret nor what was sent is logged.
func (h *webhookHandler) unauthorized(rw http.ResponseWriter, r *http.Request, reason string) {
	h.log.Warn("webhook request refused: unauthorized", "reason", reason, "remote", r.RemoteAddr)
	rw.Header().Set("WWW-Authenticate", `Bearer realm="pantau"`)
	writeWebhookError(rw, http.StatusUnauthorized, "unauthorized")
}

// bearerOK checks "Authorization: Bearer <secret>" in constant time. Both
// sides are hashed first so that the comparison does not leak the
// secret's length either.
func (w *Webhook) bearerOK(header string) bool {
	scheme, tok, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	got := sha256.Sum256([]byte(strings.TrimSpace(tok)))
	want := sha256.Sum256([]byte(w.secret.Reveal()))
	return subtle.ConstantTimeCompare(got[:], want[:]) == 1
}

// timestampProblem checks a signed request's timestamp (Unix seconds): it
// must be within webhookMaxSkew of now. A captured request can thus be
// replayed for five minutes at most, and a replay changes nothing but an
// extra engagement sample: mentions are stored once per key.
func (w *Webhook) timestampProblem(ts string, now time.Time) string {
	if ts == "" {
		return "signature without " + WebhookTimestampHeader
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return "timestamp is not Unix seconds"
	}
	d := now.Sub(time.Unix(sec, 0))
	switch {
	case d > webhookMaxSkew:
		return "timestamp too old (replay?)"
	case d < -webhookMaxSkew:
		return "timestamp in the future"
	}
	return ""
}

// signatureOK checks "sha256=<hex>" against HMAC-SHA256(secret,
// timestamp + "." + body), in constant time.
func (w *Webhook) signatureOK(ts, sig string, body []byte) bool {
	hexSig, ok := strings.CutPrefix(strings.TrimSpace(sig), "sha256=")
	if !ok {
		return false
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil {
		return false
	}
	return hmac.Equal(got, webhookSignature(w.secret.Reveal(), ts, body))
}

// webhookSignature is HMAC-SHA256(key, ts + "." + body).
func webhookSignature(key, ts string, body []byte) []byte {
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write([]byte(ts))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return mac.Sum(nil)
}

// splitWebhookBody returns the raw items of a body that is one mention
// object or {"mentions": [...]}, with the label each item's errors start
// with.
func splitWebhookBody(body []byte) ([]json.RawMessage, []string, error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, nil, errors.New(`body: want a JSON object: one mention, or {"mentions": [...]}`)
	}
	var top map[string]json.RawMessage
	if err := webhookDecode(trimmed, &top, false); err != nil {
		return nil, nil, fmt.Errorf("body: %s", webhookJSONProblem(err))
	}
	list, ok := top["mentions"]
	if !ok {
		return []json.RawMessage{trimmed}, []string{"mention"}, nil
	}
	for k := range top {
		if k != "mentions" {
			return nil, nil, fmt.Errorf("body: unknown field %q (a batch has only \"mentions\")", truncateUTF8(k, 60))
		}
	}
	var raws []json.RawMessage
	if err := json.Unmarshal(list, &raws); err != nil || raws == nil {
		return nil, nil, errors.New("mentions: want an array of mention objects")
	}
	switch {
	case len(raws) == 0:
		return nil, nil, errors.New("mentions: empty")
	case len(raws) > maxWebhookItems:
		return nil, nil, fmt.Errorf("mentions: %d items, at most %d per request", len(raws), maxWebhookItems)
	}
	labels := make([]string, len(raws))
	for i := range raws {
		labels[i] = fmt.Sprintf("mentions[%d]", i)
	}
	return raws, labels, nil
}

// webhookDecode decodes exactly one JSON value; strict refuses unknown fields.
func webhookDecode(data []byte, v any, strict bool) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if strict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("more than one JSON value")
	}
	return nil
}

// webhookJSONProblem rewords a decoding error for the sender: the field it is
// about and what was wanted, without Go type names.
//
// The message can quote the sender's own bytes (encoding/json names an
// unknown field as it was sent): it is cut short and made valid UTF-8, so a
// hostile key cannot make the answer huge or unreadable. The fuzzer found
// an 11 KB field name of invalid UTF-8 echoed whole.
func webhookJSONProblem(err error) string {
	return truncateUTF8(strings.ToValidUTF8(webhookJSONMessage(err), "\uFFFD"), 300)
}

func webhookJSONMessage(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field := te.Field
		if field == "" {
			field = "value"
		}
		return fmt.Sprintf("%s: want %s, got %s", field, webhookJSONKind(te.Type), te.Value)
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("invalid JSON at byte %d: %s", se.Offset, strings.TrimPrefix(se.Error(), "json: "))
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

func webhookJSONKind(t reflect.Type) string {
	if t == nil {
		return "another type"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "a whole number"
	case reflect.Float64, reflect.Float32:
		return "a number"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice:
		return "an array"
	case reflect.Pointer:
		return webhookJSONKind(t.Elem())
	}
	return "another type"
}

// webhookItem is one mention as sent; docs/webhook.md documents it.
type webhookItem struct {
	ID         string             `json:"id"`
	Platform   string             `json:"platform"`
	URL        string             `json:"url"`
	Author     webhookAuthor      `json:"author"`
	Title      string             `json:"title"`
	Text       string             `json:"text"`
	Lang       string             `json:"lang"`
	CreatedAt  string             `json:"created_at"`
	ReplyTo    string             `json:"reply_to"`
	ByBrand    bool               `json:"by_brand"`
	Rating     *int               `json:"rating"`
	Engagement *webhookEngagement `json:"engagement"`
}

type webhookAuthor struct {
	Handle      string `json:"handle"`
	DisplayName string `json:"display_name"`
	ProfileURL  string `json:"profile_url"`
	Followers   *int64 `json:"followers"`
}

type webhookEngagement struct {
	Likes   *int64 `json:"likes"`
	Reposts *int64 `json:"reposts"`
	Replies *int64 `json:"replies"`
	Quotes  *int64 `json:"quotes"`
	Views   *int64 `json:"views"`
}

// parseItem decodes and checks one item. id is what the item says its id
// is, for the report, even when the item is refused.
func (w *Webhook) parseItem(raw json.RawMessage, now time.Time) (m store.Mention, sample *store.MentionSample, id string, err error) {
	var it webhookItem
	if err := webhookDecode(raw, &it, true); err != nil {
		// Best effort at the id, so the report can name the item.
		var peek struct {
			ID any `json:"id"`
		}
		if json.Unmarshal(raw, &peek) == nil {
			if s, ok := peek.ID.(string); ok {
				id = s
			}
		}
		return m, nil, id, errors.New(webhookJSONProblem(err))
	}
	id = it.ID
	if msg := webhookCheckID(it.ID); msg != "" {
		return m, nil, id, errors.New("id: " + msg)
	}
	switch {
	case it.Platform != "" && !webhookLabelPattern.MatchString(it.Platform):
		return m, nil, id, errors.New("platform: must be 1 to 32 lower-case letters, digits, '.', '_' or '-'")
	case len(w.platforms) > 0 && !w.platforms[it.Platform]:
		return m, nil, id, fmt.Errorf("platform: must be one of %s for this source", strings.Join(slices.Sorted(maps.Keys(w.platforms)), ", "))
	}
	text := truncateUTF8(cleanText(it.Text), maxTextBytes)
	if text == "" {
		return m, nil, id, errors.New("text: required")
	}
	if it.URL != "" && !webhookURLOK(it.URL) {
		return m, nil, id, fmt.Errorf("url: must be an absolute http or https URL of at most %d bytes", maxURLBytes)
	}
	if it.Author.ProfileURL != "" && !webhookURLOK(it.Author.ProfileURL) {
		return m, nil, id, fmt.Errorf("author.profile_url: must be an absolute http or https URL of at most %d bytes", maxURLBytes)
	}
	if it.Lang != "" && !webhookLangPattern.MatchString(it.Lang) {
		return m, nil, id, errors.New(`lang: must be a language tag such as "id" or "en-US"`)
	}
	created := now
	if it.CreatedAt != "" {
		t, err := time.Parse(time.RFC3339Nano, it.CreatedAt)
		if err != nil {
			return m, nil, id, errors.New("created_at: want an RFC 3339 time such as 2024-06-04T12:00:00Z")
		}
		if t.Sub(now) > webhookMaxFuture {
			return m, nil, id, fmt.Errorf("created_at: more than %s in the future (check the sender's clock)", webhookMaxFuture)
		}
		if t.Year() < 2000 {
			return m, nil, id, errors.New("created_at: before the year 2000")
		}
		created = t.UTC()
	}
	if it.ReplyTo != "" {
		if msg := webhookCheckID(it.ReplyTo); msg != "" {
			return m, nil, id, errors.New("reply_to: " + msg)
		}
	}
	if it.Rating != nil && (*it.Rating < 1 || *it.Rating > 5) {
		return m, nil, id, errors.New("rating: must be 1 to 5")
	}
	counts := []struct {
		name string
		v    *int64
	}{{"author.followers", it.Author.Followers}}
	if e := it.Engagement; e != nil {
		counts = append(counts, []struct {
			name string
			v    *int64
		}{{"engagement.likes", e.Likes}, {"engagement.reposts", e.Reposts}, {"engagement.replies", e.Replies},
			{"engagement.quotes", e.Quotes}, {"engagement.views", e.Views}}...)
	}
	for _, c := range counts {
		if c.v != nil && *c.v < 0 {
			return m, nil, id, fmt.Errorf("%s: must not be negative", c.name)
		}
	}

	handle := truncateUTF8(cleanText(it.Author.Handle), maxAuthorBytes)
	m = store.Mention{
		Kind:     w.kind,
		Source:   w.name,
		NativeID: w.nativeID(it.Platform, it.ID),
		URL:      it.URL,
		Brand:    w.brand,
		Author: store.Author{
			Handle:      handle,
			DisplayName: truncateUTF8(cleanText(it.Author.DisplayName), maxAuthorBytes),
			ProfileURL:  it.Author.ProfileURL,
			Followers:   it.Author.Followers,
		},
		Title:     truncateUTF8(cleanText(it.Title), maxTitleBytes),
		Text:      text,
		Rating:    it.Rating,
		Lang:      it.Lang,
		CreatedAt: created,
		ByBrand:   it.ByBrand || w.isBrand(it.Platform, handle),
	}
	if it.ReplyTo != "" {
		m.ReplyTo = store.MentionKey(w.kind, w.nativeID(it.Platform, it.ReplyTo))
	}
	if e := it.Engagement; e != nil {
		sample = &store.MentionSample{
			Key: store.MentionKey(m.Kind, m.NativeID),
			Sample: store.Sample{At: now, Likes: e.Likes, Reposts: e.Reposts, Replies: e.Replies,
				Quotes: e.Quotes, Views: e.Views, Followers: it.Author.Followers},
		}
	}
	return m, sample, id, nil
}

// nativeID namespaces a platform's id with its label, so that two
// platforms' "12345" are two mentions while the same post sent by two
// tools is one.
func (w *Webhook) nativeID(platform, id string) string {
	if platform == "" {
		return id
	}
	return platform + ":" + id
}

// isBrand reports whether handle is one of the brand's own accounts on
// the platform (or under the source's mention kind).
func (w *Webhook) isBrand(platform, handle string) bool {
	if handle == "" {
		return false
	}
	h := webhookHandle(handle)
	return w.brandHandles[platform][h] || w.brandHandles[w.kind][h]
}

func webhookHandle(h string) string {
	return strings.ToLower(strings.TrimPrefix(strings.TrimSpace(h), "@"))
}

// webhookCheckID checks a native id: present, bounded, printable (ids become
// store keys and appear on screen).
func webhookCheckID(id string) string {
	switch {
	case strings.TrimSpace(id) == "":
		return "required"
	case len(id) > maxWebhookIDLen:
		return fmt.Sprintf("longer than %d bytes", maxWebhookIDLen)
	case strings.ContainsFunc(id, isHiddenRune) || !utf8.ValidString(id):
		return "contains control characters or invalid UTF-8"
	}
	return ""
}

// webhookURLOK accepts absolute http(s) URLs only: the dashboard links them, and
// a javascript: or data: URL must never become a link.
func webhookURLOK(s string) bool {
	if len(s) > maxURLBytes || strings.ContainsFunc(s, isHiddenRune) {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

func writeWebhookError(rw http.ResponseWriter, status int, msg string) {
	writeWebhookJSON(rw, status, struct {
		Error string `json:"error"`
	}{msg})
}

func writeWebhookJSON(rw http.ResponseWriter, status int, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		status, data = http.StatusInternalServerError, []byte(`{"error":"internal error"}`)
	}
	h := rw.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	rw.WriteHeader(status)
	rw.Write(append(data, '\n'))
}

// Webhooks routes requests for /hooks/{source} to the webhook sources of
// the running config. cmd mounts it once on the HTTP server and calls Set
// with every config it starts, so a reload that adds, removes or re-keys a
// webhook source takes effect without restarting the server.
type Webhooks struct {
	log *slog.Logger
	cur atomic.Pointer[map[string]http.Handler]
}

// NewWebhooks builds an empty router: every source answers 404 until Set.
// logger nil discards logs.
func NewWebhooks(logger *slog.Logger) *Webhooks {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	h := &Webhooks{log: logger}
	h.cur.Store(&map[string]http.Handler{})
	return h
}

// Set replaces the routed sources with the webhook collectors among cols,
// each handing its mentions to sink. Requests in flight finish on the
// handlers they started with.
func (h *Webhooks) Set(cols []Collector, sink Sink) {
	next := map[string]http.Handler{}
	for _, c := range cols {
		if w, ok := c.(*Webhook); ok {
			next[w.Name()] = w.Handler(sink, h.log)
		}
	}
	h.cur.Store(&next)
}

// ServeHTTP routes by the {source} path value of the pattern it is
// mounted at.
func (h *Webhooks) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		rw.Header().Set("Allow", http.MethodPost)
		writeWebhookError(rw, http.StatusMethodNotAllowed, "method not allowed: POST mentions as JSON")
		return
	}
	name := r.PathValue("source")
	hd, ok := (*h.cur.Load())[name]
	if !ok {
		writeWebhookError(rw, http.StatusNotFound, fmt.Sprintf("no webhook source named %q", truncateUTF8(cleanText(name), 64)))
		return
	}
	hd.ServeHTTP(rw, r)
}
