// Package notify delivers alert notifications to the tools an on-call lead
// already uses (Slack, Discord, Microsoft Teams, PagerDuty, a signed
// webhook, e-mail, ntfy, Telegram), once per alert and action, without
// losing any when a receiver or Pantau itself is down.
//
// The path of a notification:
//
//	alert state change (store event) -> Dispatcher.FollowAlerts / Notify
//	  -> Renderer (masks personal data, signs the acknowledge link)
//	  -> store outbox (durable, one ordered queue per receiver)
//	  -> one worker per receiver -> Notifier -> receiver
//	  -> store.MarkDelivered only after the receiver accepted it
//
// Every notifier follows one status policy (see policy.go) and keeps its
// secrets (webhook URLs, tokens, keys, passwords) out of every error.
package notify

import (
	"net/url"
	"strings"
	"time"
	"unicode"

	"github.com/pantau/pantau/store"
)

// Action is what a notification says about an alert.
type Action string

// Actions. Their values are the store's outbox actions.
const (
	Trigger     Action = store.OutboxTrigger
	Acknowledge Action = store.OutboxAcknowledge
	Resolve     Action = store.OutboxResolve
	Digest      Action = store.OutboxDigest
)

// Valid reports whether a is a known action.
func (a Action) Valid() bool {
	switch a {
	case Trigger, Acknowledge, Resolve, Digest:
		return true
	}
	return false
}

// MessageVersion is the version of Message's JSON, as the generic webhook
// sends it.
const MessageVersion = 1

// Message is one rendered notification. It is stored in the outbox as JSON
// and is all a notifier needs. Every text in it has been masked for
// personal data and cleaned of control characters, but it is still text
// from the internet: each notifier escapes it for its own format.
type Message struct {
	Version int    `json:"version"`
	AlertID string `json:"alert_id"`
	Action  Action `json:"action"`
	// State is the alert's state when the message was rendered.
	State  store.AlertState `json:"state,omitempty"`
	Rule   string           `json:"rule,omitempty"`
	Brand  string           `json:"brand,omitempty"`
	Source string           `json:"source,omitempty"`
	// Title is one line: what happened.
	Title string `json:"title"`
	// Summary is the alert's own summary (the rule, who, where, what).
	Summary string `json:"summary,omitempty"`
	// Reasons are the scorer's reasons: why it matters.
	Reasons  []string `json:"reasons,omitempty"`
	Priority float64  `json:"priority"`
	// Severity is critical, error, warning or info, from Priority.
	Severity string `json:"severity"`
	// Author and Excerpt show who wrote the mention and the start of it.
	Author  string `json:"author,omitempty"`
	Excerpt string `json:"excerpt,omitempty"`
	// MentionURL is the public post (http or https only).
	MentionURL string `json:"mention_url,omitempty"`
	// DashboardURL opens the alert on Pantau's dashboard.
	DashboardURL string `json:"dashboard_url,omitempty"`
	// AckURL acknowledges the alert (signed, expiring); trigger only.
	AckURL string `json:"ack_url,omitempty"`
	// By is who acknowledged or resolved it, when a person did.
	By       string    `json:"by,omitempty"`
	OpenedAt time.Time `json:"opened_at,omitzero"`
	At       time.Time `json:"at"`
	// Digest is set on digest messages only (see DigestContent).
	Digest *DigestContent `json:"digest,omitempty"`
}

// Text limits. Receivers have their own, lower ones for some fields; these
// keep a message small in the outbox and readable on a phone.
const (
	maxTitle   = 200
	maxSummary = 600
	maxReason  = 300
	maxReasons = 12
	maxAuthor  = 100
	maxExcerpt = 500
	maxURL     = 2000
	// DefaultAckTTL is how long an acknowledge link stays valid.
	DefaultAckTTL = 24 * time.Hour
)

// Renderer turns an alert into a Message.
type Renderer struct {
	// PublicURL is the dashboard's address as people open it
	// ("https://pantau.example.com"); empty means no dashboard or
	// acknowledge links.
	PublicURL string
	// Signer signs acknowledge links; nil means none.
	Signer *AckSigner
	// AckTTL is how long an acknowledge link is valid; zero means
	// DefaultAckTTL.
	AckTTL time.Duration
	// Mask hides personal data in a text (phone numbers, e-mail
	// addresses...). It is applied to every text taken from a mention or
	// an alert before it is cut to length, so a cut cannot leave half a
	// phone number unmasked. Nil shows text as it is.
	Mask func(string) string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

func (r *Renderer) now() time.Time {
	if r == nil || r.Now == nil {
		return time.Now()
	}
	return r.Now()
}

func (r *Renderer) mask(s string) string {
	if r == nil || r.Mask == nil {
		return s
	}
	return r.Mask(s)
}

// Render builds the message for an action on an alert. m is the alert's
// mention when known (for the author, the text and the link); nil leaves
// those out.
func (r *Renderer) Render(a store.Alert, action Action, m *store.Mention) Message {
	msg := Message{
		Version:  MessageVersion,
		AlertID:  a.ID,
		Action:   action,
		State:    a.State,
		Rule:     OneLine(a.Rule, 100),
		Brand:    OneLine(a.Brand, 100),
		Source:   OneLine(a.Source, 100),
		Summary:  OneLine(r.mask(a.Summary), maxSummary),
		Priority: a.Priority,
		Severity: Severity(a.Priority),
		OpenedAt: a.OpenedAt,
		At:       r.now(),
	}
	for i, reason := range a.Reasons {
		if i == maxReasons {
			msg.Reasons = append(msg.Reasons, "…")
			break
		}
		msg.Reasons = append(msg.Reasons, OneLine(r.mask(reason), maxReason))
	}
	if action != Trigger && a.By != "" {
		msg.By = OneLine(r.mask(a.By), maxAuthor)
	}
	if m != nil {
		who := m.Author.Handle
		if m.Author.DisplayName != "" && m.Author.DisplayName != m.Author.Handle {
			who = m.Author.DisplayName + " (" + m.Author.Handle + ")"
		}
		msg.Author = OneLine(r.mask(who), maxAuthor)
		text := m.Text
		if strings.TrimSpace(text) == "" {
			text = m.Title
		}
		msg.Excerpt = OneLine(r.mask(text), maxExcerpt)
		msg.MentionURL = WebURL(m.URL)
	}
	msg.Title = title(&msg)
	if base := strings.TrimRight(r.publicURL(), "/"); base != "" {
		msg.DashboardURL = base + "/?alert=" + url.QueryEscape(a.ID)
	}
	r.refreshAck(&msg)
	return msg
}

func (r *Renderer) publicURL() string {
	if r == nil {
		return ""
	}
	return WebURL(r.PublicURL)
}

// refreshAck (re)signs the acknowledge link of a trigger message. The
// dispatcher calls it again just before sending, so a message that waited
// out a long outage still carries a link that is valid for the full TTL.
func (r *Renderer) refreshAck(msg *Message) {
	if msg.Action != Trigger || r == nil || r.Signer == nil || !r.Signer.Key.IsSet() {
		return
	}
	base := r.publicURL()
	if base == "" {
		return
	}
	ttl := r.AckTTL
	if ttl <= 0 {
		ttl = DefaultAckTTL
	}
	msg.AckURL = r.Signer.Link(base, msg.AlertID, ttl)
}

// Severity maps an alert's priority (0..1) to the four levels receivers
// such as PagerDuty know.
func Severity(priority float64) string {
	switch {
	case priority >= 0.8:
		return "critical"
	case priority >= 0.6:
		return "error"
	case priority >= 0.4:
		return "warning"
	}
	return "info"
}

func title(m *Message) string {
	what := "Pantau alert"
	if m.Rule != "" {
		what += ": " + m.Rule
	}
	if m.Brand != "" {
		what += " [" + m.Brand + "]"
	}
	switch m.Action {
	case Acknowledge:
		if m.By != "" {
			return OneLine("Acknowledged by "+m.By+" – "+what, maxTitle)
		}
		return OneLine("Acknowledged – "+what, maxTitle)
	case Resolve:
		return OneLine("Resolved – "+what, maxTitle)
	case Digest:
		return OneLine("Pantau digest", maxTitle)
	}
	if m.Source != "" {
		what += " on " + m.Source
	}
	return OneLine(what, maxTitle)
}

// OneLine returns s on one line, without control, bidi-override or
// invisible formatting characters (they could reorder or hide text in a
// chat client), cut to n characters with an ellipsis.
func OneLine(s string, n int) string {
	var b strings.Builder
	count, space := 0, false
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) ||
			r == unicode.ReplacementChar || r == '\u200b' || r == '\u2060' || r == '\ufeff' {
			space = b.Len() > 0
			continue
		}
		if count >= n {
			b.WriteString("…")
			break
		}
		if space {
			b.WriteByte(' ')
			space = false
			count++
		}
		b.WriteRune(r)
		count++
	}
	return b.String()
}

// WebURL returns s when it is an absolute http or https URL of sane
// length, else "": a mention's URL comes from the internet and must not
// become a javascript: link in a chat client.
func WebURL(s string) string {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > maxURL {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	for _, r := range s {
		if r <= ' ' || r == 0x7f {
			return ""
		}
	}
	return u.String()
}
