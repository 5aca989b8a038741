package notify

import (
	"context"
	"crypto/hmac"
	"encoding/json"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/pantau/pantau/store/secret"
)

func decodeJSON(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("body is not JSON: %v\n%s", err, b)
	}
	return m
}

// jget walks a decoded JSON value: keys for objects, ints for arrays.
func jget(t *testing.T, v any, path ...any) any {
	t.Helper()
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("at %v: not an object: %v", p, v)
			}
			v = m[k]
		case int:
			a, ok := v.([]any)
			if !ok || k >= len(a) {
				t.Fatalf("at %v: not an array long enough: %v", p, v)
			}
			v = a[k]
		}
	}
	return v
}

func send(t *testing.T, n Notifier, m Message) {
	t.Helper()
	retry, err := n.Notify(context.Background(), m)
	if err != nil {
		t.Fatalf("notify %s: retry=%v err=%v", m.Action, retry, err)
	}
}

// noRawPII checks the masked phone number never reaches a receiver.
func noRawPII(t *testing.T, what string, b []byte) {
	t.Helper()
	if strings.Contains(string(b), phone) {
		t.Errorf("%s: unmasked personal data sent:\n%s", what, b)
	}
}

func TestSlackRequestShape(t *testing.T) {
	c := newFakeClock()
	f := newFakeReceiver(t, nil)
	n := build(t, ReceiverConfig{Name: "s", Kind: KindSlack, Slack: &SlackConfig{URL: secret.New(f.URL + "/services/T0/B0/tok123456")}}, Deps{})
	send(t, n, testMessage(c, Trigger))
	r := f.requests()[0]
	if r.Method != "POST" || r.Path != "/services/T0/B0/tok123456" || r.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("request %s %s %s", r.Method, r.Path, r.Header.Get("Content-Type"))
	}
	noRawPII(t, "slack", r.Body)
	p := decodeJSON(t, r.Body)
	if p["text"] == "" || p["unfurl_links"] != false {
		t.Errorf("text/unfurl: %v %v", p["text"], p["unfurl_links"])
	}
	if got := jget(t, p, "blocks", 0, "type"); got != "header" {
		t.Errorf("first block %v", got)
	}
	if got := jget(t, p, "blocks", 0, "text", "type"); got != "plain_text" {
		t.Errorf("header text type %v", got)
	}
	body := string(r.Body)
	// mrkdwn escaping: no raw < or & from the post survives into the
	// blocks (JSON escapes < as \u003c, so decode and look).
	for _, b := range p["blocks"].([]any) {
		bm := b.(map[string]any)
		if bm["type"] != "section" {
			continue
		}
		text := jget(t, bm, "text", "text").(string)
		if strings.Contains(text, "<script>") || strings.Contains(text, "<!channel>") || strings.Contains(text, " & co") {
			t.Errorf("unescaped mrkdwn: %s", text)
		}
		if !strings.Contains(body, "rule viral") && !strings.Contains(text, "&lt;script&gt;") {
			t.Errorf("section lacks escaped text: %s", text)
		}
	}
	actions := p["blocks"].([]any)[len(p["blocks"].([]any))-1].(map[string]any)
	if actions["type"] != "actions" || jget(t, actions, "elements", 0, "text", "text") != "Acknowledge" ||
		!strings.HasPrefix(jget(t, actions, "elements", 0, "url").(string), "https://pantau.example.com/ack?") {
		t.Errorf("actions block: %v", actions)
	}
	if !strings.Contains(body, maskedPh) {
		t.Errorf("masked text missing")
	}
}

func TestDiscordRequestShape(t *testing.T) {
	c := newFakeClock()
	f := newFakeReceiver(t, func(recorded) (int, http.Header, string) { return http.StatusNoContent, nil, "" })
	n := build(t, ReceiverConfig{Name: "d", Kind: KindDiscord, Discord: &DiscordConfig{URL: secret.New(f.URL + "/api/webhooks/123456/tok-abcdef"), Username: "Pantau"}}, Deps{})
	send(t, n, testMessage(c, Trigger))
	r := f.requests()[0]
	noRawPII(t, "discord", r.Body)
	p := decodeJSON(t, r.Body)
	if got := jget(t, p, "allowed_mentions", "parse"); got == nil || len(got.([]any)) != 0 {
		t.Errorf("allowed_mentions.parse = %v, want []", got)
	}
	if p["username"] != "Pantau" {
		t.Errorf("username %v", p["username"])
	}
	desc := jget(t, p, "embeds", 0, "description").(string)
	if strings.Contains(desc, "[click](javascript") || !strings.Contains(desc, `\[click\]\(javascript`) {
		t.Errorf("markdown link not escaped: %s", desc)
	}
	if !strings.Contains(desc, "[**Acknowledge**](https://pantau.example.com/ack?") {
		t.Errorf("ack link missing: %s", desc)
	}
	if jget(t, p, "embeds", 0, "color").(float64) == 0 || jget(t, p, "embeds", 0, "timestamp") == nil {
		t.Errorf("embed color/timestamp: %v", p["embeds"])
	}
}

func TestTeamsAdaptiveCard(t *testing.T) {
	c := newFakeClock()
	f := newFakeReceiver(t, func(recorded) (int, http.Header, string) { return http.StatusAccepted, nil, "" })
	n := build(t, ReceiverConfig{Name: "t", Kind: KindTeams, Teams: &TeamsConfig{URL: secret.New(f.URL + "/workflows/abc123/triggers/manual/paths/invoke?sig=s3cr3tsig")}}, Deps{})
	send(t, n, testMessage(c, Trigger))
	r := f.requests()[0]
	noRawPII(t, "teams", r.Body)
	p := decodeJSON(t, r.Body)
	if p["type"] != "message" || jget(t, p, "attachments", 0, "contentType") != "application/vnd.microsoft.card.adaptive" {
		t.Fatalf("not an adaptive card message: %s", r.Body)
	}
	card := jget(t, p, "attachments", 0, "content")
	if jget(t, card, "type") != "AdaptiveCard" || jget(t, card, "version") != "1.4" {
		t.Errorf("card header: %v", card)
	}
	// Hostile text only inside RichTextBlock TextRuns (plain text).
	for _, b := range jget(t, card, "body").([]any) {
		bm := b.(map[string]any)
		raw, _ := json.Marshal(bm)
		if strings.Contains(string(raw), "script") && bm["type"] != "RichTextBlock" {
			t.Errorf("mention text outside a RichTextBlock: %s", raw)
		}
	}
	if jget(t, card, "actions", 0, "type") != "Action.OpenUrl" || jget(t, card, "actions", 0, "title") != "Acknowledge" {
		t.Errorf("actions: %v", jget(t, card, "actions"))
	}
}

func TestPagerDutyEventsShareDedupKey(t *testing.T) {
	c := newFakeClock()
	f := newFakeReceiver(t, func(recorded) (int, http.Header, string) {
		return http.StatusAccepted, nil, `{"status":"success","message":"Event processed"}`
	})
	n := build(t, ReceiverConfig{Name: "pd", Kind: KindPagerDuty, PagerDuty: &PagerDutyConfig{RoutingKey: secret.New("R0UTINGKEY0123456789abcdef012345"), URL: f.URL + "/v2/enqueue"}}, Deps{})
	for _, a := range []Action{Trigger, Acknowledge, Resolve} {
		send(t, n, testMessage(c, a))
	}
	reqs := f.requests()
	if len(reqs) != 3 {
		t.Fatalf("%d requests", len(reqs))
	}
	want := testAlert().ID
	for i, a := range []string{"trigger", "acknowledge", "resolve"} {
		if reqs[i].Path != "/v2/enqueue" {
			t.Errorf("path %s", reqs[i].Path)
		}
		p := decodeJSON(t, reqs[i].Body)
		if p["event_action"] != a || p["dedup_key"] != want || p["routing_key"] != "R0UTINGKEY0123456789abcdef012345" {
			t.Errorf("%s: %v", a, p)
		}
		if a != "trigger" && p["payload"] != nil {
			t.Errorf("%s carries a payload", a)
		}
	}
	noRawPII(t, "pagerduty", reqs[0].Body)
	p := decodeJSON(t, reqs[0].Body)
	for k, want := range map[string]any{"severity": "critical", "source": "pantau/mastodon", "component": "mastodon", "group": "acme", "class": "viral"} {
		if got := jget(t, p, "payload", k); got != want {
			t.Errorf("payload.%s = %v, want %v", k, got, want)
		}
	}
	if s := jget(t, p, "payload", "summary").(string); len(s) > 1024 || !strings.Contains(s, "Pantau alert: viral") {
		t.Errorf("summary %q", s)
	}
	if jget(t, p, "payload", "custom_details", "reasons") == nil || len(p["links"].([]any)) != 3 {
		t.Errorf("details/links: %v", p)
	}
	// A long alert id still gives a stable key within PagerDuty's limit.
	long := strings.Repeat("x", 600)
	if k := DedupKey(long); len(k) > 255 || k != DedupKey(long) || k == DedupKey(long+"y") {
		t.Errorf("dedup key of a long id: %q", k)
	}
}

func TestWebhookSignatureVerifiedByReceiver(t *testing.T) {
	c := newFakeClock()
	key := []byte("whsec-0123456789abcdef")
	var verified []string
	f := newFakeReceiver(t, func(r recorded) (int, http.Header, string) {
		ts := r.Header.Get("X-Pantau-Timestamp")
		want := WebhookSignature(key, ts, r.Body)
		if !hmac.Equal([]byte(r.Header.Get("X-Pantau-Signature")), []byte(want)) {
			return http.StatusUnauthorized, nil, "bad signature"
		}
		verified = append(verified, r.Header.Get("X-Pantau-Event"))
		return http.StatusOK, nil, ""
	})
	n := build(t, ReceiverConfig{Name: "w", Kind: KindWebhook, Webhook: &WebhookConfig{URL: secret.New(f.URL + "/hook?token=abcd1234"), Secret: secret.New(string(key))}}, Deps{Now: c.Now})
	send(t, n, testMessage(c, Trigger))
	send(t, n, testMessage(c, Resolve))
	if strings.Join(verified, ",") != "trigger,resolve" {
		t.Fatalf("verified %v", verified)
	}
	r := f.requests()[0]
	if r.Header.Get("X-Pantau-Timestamp") != strconv.FormatInt(c.Now().Unix(), 10) {
		t.Errorf("timestamp %q (want the injected clock)", r.Header.Get("X-Pantau-Timestamp"))
	}
	if !strings.HasPrefix(r.Header.Get("X-Pantau-Signature"), "sha256=") || len(r.Header.Get("Idempotency-Key")) != 32 {
		t.Errorf("headers %v", r.Header)
	}
	if f.requests()[1].Header.Get("Idempotency-Key") == r.Header.Get("Idempotency-Key") {
		t.Error("trigger and resolve share an idempotency key")
	}
	var m Message
	if err := json.Unmarshal(r.Body, &m); err != nil || m.Version != MessageVersion || m.AlertID != testAlert().ID || m.AckURL == "" {
		t.Errorf("body %s (%v)", r.Body, err)
	}
	noRawPII(t, "webhook", r.Body)
	// Tampered body: the fake's check fails, and so would any receiver's.
	if WebhookSignature(key, r.Header.Get("X-Pantau-Timestamp"), append(r.Body, ' ')) == r.Header.Get("X-Pantau-Signature") {
		t.Error("signature does not cover the body")
	}
}

func TestNtfyHeaders(t *testing.T) {
	c := newFakeClock()
	f := newFakeReceiver(t, nil)
	n := build(t, ReceiverConfig{Name: "n", Kind: KindNtfy, Ntfy: &NtfyConfig{URL: secret.New(f.URL + "/pantau-oncall-x7Gq"), Token: secret.New("tk_ntfytoken123"), Tags: []string{"acme"}}}, Deps{})
	m := testMessage(c, Trigger)
	m.Title = "Keluhan viral: “kecewa” – acme"
	send(t, n, m)
	r := f.requests()[0]
	if r.Path != "/pantau-oncall-x7Gq" || r.Header.Get("Authorization") != "Bearer tk_ntfytoken123" {
		t.Errorf("path %s auth %q", r.Path, r.Header.Get("Authorization"))
	}
	dec := new(mime.WordDecoder)
	title, err := dec.DecodeHeader(r.Header.Get("Title"))
	if err != nil || title != m.Title {
		t.Errorf("Title %q -> %q (%v)", r.Header.Get("Title"), title, err)
	}
	if r.Header.Get("Priority") != "4" || r.Header.Get("Tags") != "rotating_light,acme" || r.Header.Get("Click") != "https://social.example/@budi/1" {
		t.Errorf("priority/tags/click: %q %q %q", r.Header.Get("Priority"), r.Header.Get("Tags"), r.Header.Get("Click"))
	}
	acts := r.Header.Get("Actions")
	if !strings.HasPrefix(acts, "view, Acknowledge, https://pantau.example.com/ack?") || strings.Count(acts, "view, ") != 3 {
		t.Errorf("Actions %q", acts)
	}
	if !strings.Contains(string(r.Body), "Why:") || !strings.Contains(string(r.Body), maskedPh) {
		t.Errorf("body %s", r.Body)
	}
	noRawPII(t, "ntfy", r.Body)
	send(t, n, testMessage(c, Resolve))
	if r := f.requests()[1]; r.Header.Get("Priority") != "2" || !strings.HasPrefix(r.Header.Get("Tags"), "white_check_mark") {
		t.Errorf("resolve headers %v", r.Header)
	}
	if got := ntfyActionURL("https://x.example/a,b;c"); got != `"https://x.example/a,b;c"` {
		t.Errorf("action url quoting: %s", got)
	}
}

func TestTelegramEscapesEverything(t *testing.T) {
	c := newFakeClock()
	f := newFakeReceiver(t, func(recorded) (int, http.Header, string) { return 200, nil, `{"ok":true,"result":{}}` })
	n := build(t, ReceiverConfig{Name: "tg", Kind: KindTelegram, Telegram: &TelegramConfig{Token: secret.New("123456:ABC-botTOKENxyz"), ChatID: "-1001234567890", APIURL: f.URL}}, Deps{})
	send(t, n, testMessage(c, Trigger))
	r := f.requests()[0]
	if r.Path != "/bot123456:ABC-botTOKENxyz/sendMessage" {
		t.Errorf("path %s", r.Path)
	}
	p := decodeJSON(t, r.Body)
	if p["parse_mode"] != "HTML" || p["chat_id"] != "-1001234567890" {
		t.Errorf("fields %v", p)
	}
	text := p["text"].(string)
	if strings.Contains(text, "<script>") || !strings.Contains(text, "&lt;script&gt;") {
		t.Errorf("script not escaped: %s", text)
	}
	if strings.Contains(text, " & co") || !strings.Contains(text, " &amp; co") {
		t.Errorf("& not escaped: %s", text)
	}
	// Only our own tags remain.
	stripped := text
	for _, tag := range []string{"<b>", "</b>", "<i>", "</i>", "<blockquote>", "</blockquote>", "</a>"} {
		stripped = strings.ReplaceAll(stripped, tag, "")
	}
	for strings.Contains(stripped, `<a href="`) {
		i := strings.Index(stripped, `<a href="`)
		j := strings.Index(stripped[i:], `">`)
		stripped = stripped[:i] + stripped[i+j+2:]
	}
	if strings.ContainsAny(stripped, "<>") {
		t.Errorf("stray markup in %s", stripped)
	}
	noRawPII(t, "telegram", r.Body)
}

func TestTelegramRetryAfterFromBody(t *testing.T) {
	f := newFakeReceiver(t, func(recorded) (int, http.Header, string) {
		return 429, nil, `{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 7","parameters":{"retry_after":7}}`
	})
	n := build(t, ReceiverConfig{Name: "tg", Kind: KindTelegram, Telegram: &TelegramConfig{Token: secret.New("123456:ABC"), ChatID: "42", APIURL: f.URL}}, Deps{})
	retry, err := n.Notify(context.Background(), testMessage(newFakeClock(), Trigger))
	if !retry || RetryAfterOf(err).Seconds() != 7 {
		t.Fatalf("retry=%v after=%v err=%v", retry, RetryAfterOf(err), err)
	}
}
