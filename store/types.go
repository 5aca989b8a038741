// Package store holds Pantau's record types and all of its persistence.
//
// Everything lives in one bbolt file. Writes that belong together (a
// collector's mentions, their engagement samples, thread links and the
// source's new cursor) commit in one transaction, so a crash at any point
// resumes from the last committed cursor with nothing lost and nothing
// stored twice. Every change the dashboard shows is recorded as an Event
// with a persisted, monotonically increasing sequence number.
package store

import (
	"encoding/json"
	"strings"
	"time"
)

// Mention is one public post, review or comment about a brand, or one of
// the brand's own replies.
type Mention struct {
	// Key is the stable identity: Kind + ":" + NativeID. Set by Ingest.
	Key string `json:"key"`
	// Kind is the source kind ("rss", "mastodon", "bluesky", ...).
	Kind string `json:"kind"`
	// Source is the configured source's name that collected it.
	Source string `json:"source"`
	// NativeID is the platform's own stable id (GUID, status URI, at:// URI,
	// Reddit fullname, HN id).
	NativeID string `json:"native_id"`
	URL      string `json:"url,omitempty"`
	Brand    string `json:"brand,omitempty"`
	Author   Author `json:"author"`
	Title    string `json:"title,omitempty"`
	// Text is plain text, never HTML. It comes from the internet: display it
	// as text only.
	Text string `json:"text"`
	// Rating is an app-store review's star rating (1..5); nil elsewhere.
	Rating *int `json:"rating,omitempty"`
	// Lang is the platform's language tag when it gives one ("en", "id").
	Lang      string    `json:"lang,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	// SeenAt is when Pantau first stored the mention.
	SeenAt time.Time `json:"seen_at"`

	// ReplyTo is the Key of the mention this one answers, if known.
	ReplyTo string `json:"reply_to,omitempty"`
	// ThreadRoot is the Key of the thread's first post, if known.
	ThreadRoot string `json:"thread_root,omitempty"`
	// ByBrand is true when one of the brand's own accounts wrote it.
	ByBrand bool `json:"by_brand,omitempty"`

	// AnsweredAt and AnsweredBy record the brand's first reply to this
	// mention. Ingest sets them when a ByBrand mention with ReplyTo arrives.
	AnsweredAt *time.Time `json:"answered_at,omitempty"`
	AnsweredBy string     `json:"answered_by,omitempty"`

	// Score is the scorer's latest judgement; nil until scored.
	Score *Score `json:"score,omitempty"`

	// Handling is what an agent set by hand: moved to private, resolved,
	// no reply needed (empty: nothing set). The scorer's clock follows it.
	Handling   ReplyState `json:"handling,omitempty"`
	HandledBy  string     `json:"handled_by,omitempty"`
	HandledAt  *time.Time `json:"handled_at,omitempty"`
	AssignedTo string     `json:"assigned_to,omitempty"`
}

// Author is who wrote a mention.
type Author struct {
	Handle      string `json:"handle"`
	DisplayName string `json:"display_name,omitempty"`
	ProfileURL  string `json:"profile_url,omitempty"`
	// Followers is nil when the source does not say.
	Followers *int64 `json:"followers,omitempty"`
}

// MentionKey builds the stable key of a mention from its source kind and
// native id.
func MentionKey(kind, nativeID string) string { return kind + ":" + nativeID }

// Sample is one observation of a mention's engagement. Nil counts are
// unknown for that source, not zero.
type Sample struct {
	At        time.Time `json:"at"`
	Likes     *int64    `json:"likes,omitempty"`
	Reposts   *int64    `json:"reposts,omitempty"`
	Replies   *int64    `json:"replies,omitempty"`
	Quotes    *int64    `json:"quotes,omitempty"`
	Views     *int64    `json:"views,omitempty"`
	Followers *int64    `json:"followers,omitempty"`
}

// MentionSample is a Sample for a mention, as carried in a Batch.
type MentionSample struct {
	Key string `json:"key"`
	Sample
}

// Score is the scorer's judgement of one mention. Every number comes with
// the reasons that produced it, in plain language.
type Score struct {
	// Scorer names the scorer and its version, so old scores can be told
	// apart from new ones after an upgrade.
	Scorer string `json:"scorer"`
	// Lang is the detected language: "en", "id" or "other".
	Lang string `json:"lang"`
	// Scored is false when the text is in a language the scorer does not
	// know; the numbers are then zero and mean nothing.
	Scored bool `json:"scored"`
	// Complaint is the probability (0..1) that the post is a complaint.
	Complaint float64 `json:"complaint"`
	// Severity is 0 (not a complaint) or 1..4: no explicit reproach,
	// disapproval, accusation, blame.
	Severity int `json:"severity"`
	// Sentiment runs from -1 (very negative) to +1 (very positive).
	Sentiment float64 `json:"sentiment"`
	// Virality is the risk (0..1) that the post blows up.
	Virality float64 `json:"virality"`
	// Priority orders the agents' queue: higher first.
	Priority float64   `json:"priority"`
	Reasons  []string  `json:"reasons"`
	At       time.Time `json:"at"`

	// The unanswered clock. ReplyState is one of the ReplyState values;
	// Target is the channel's response target and Overdue how far past it
	// the mention is unanswered (zero when within target or answered).
	ReplyState ReplyState    `json:"reply_state,omitempty"`
	Target     time.Duration `json:"target,omitempty"`
	Overdue    time.Duration `json:"overdue,omitempty"`
	// Recheck is when the score next changes with time alone (the reply
	// deadline passing, the overdue time growing); the periodic sweep
	// leaves the mention alone until then. Zero: at every sweep.
	Recheck time.Time `json:"recheck,omitzero"`
	// Escalated is set when the same author followed up unanswered
	// ("still no answer", "min??").
	Escalated bool `json:"escalated,omitempty"`
	// Case is the key of the first mention of the group of near-duplicate
	// complaints this one belongs to (reposts, the same grievance on
	// several platforms, follow-ups); empty when it stands alone.
	Case string `json:"case,omitempty"`

	// PII lists personal data found in the text (a customer exposing
	// their own phone number, a brand reply exposing a customer's).
	PII []Span `json:"pii,omitempty"`
	// Audit is the reply audit of a brand's own public reply.
	Audit *Audit `json:"audit,omitempty"`
	// Topics names what a complaint is about ("delivery", "refund"), for
	// the history's top complaint topics; empty when not a complaint.
	Topics []string `json:"topics,omitempty"`
}

// ReplyState is where a mention stands with the brand's answer.
type ReplyState string

const (
	ReplyNew       ReplyState = "new"             // nobody has answered yet
	ReplyAnswered  ReplyState = "answered"        // a brand account replied in public
	ReplyPrivate   ReplyState = "private"         // moved to a private channel (DM, e-mail)
	ReplyResolved  ReplyState = "resolved"        // the issue is closed
	ReplyNotNeeded ReplyState = "no_reply_needed" // praise, news, spam: nothing to answer
)

// Span is a piece of personal data found in a text, by byte offsets.
type Span struct {
	Kind  string `json:"kind"` // phone, email, address, order_id, nik, card, bank_account, plate...
	Start int    `json:"start"`
	End   int    `json:"end"`
}

// Audit is the verdict on one brand reply against customer-service ethics.
type Audit struct {
	Verdict string       `json:"verdict"` // ok, needs_attention, violation
	Checks  []AuditCheck `json:"checks"`
	// ResponseTime is from the customer's post to this reply; zero when
	// the post is not known.
	ResponseTime time.Duration `json:"response_time,omitempty"`
	// Signature is the agent's sign-off when the reply carries one ("^RN").
	Signature string `json:"signature,omitempty"`
}

// AuditCheck is one check of a reply audit.
type AuditCheck struct {
	Name   string `json:"name"` // empathy, ownership, next_step, tone, compensation, pii, response_time, canned
	Pass   bool   `json:"pass"`
	Detail string `json:"detail,omitempty"`
}

// AlertState is where an alert is in its life.
type AlertState string

const (
	AlertOpen         AlertState = "open"
	AlertAcknowledged AlertState = "acknowledged"
	AlertResolved     AlertState = "resolved"
)

// Alert is raised by a rule about one mention. Its ID is stable per rule and
// mention, so it doubles as the dedup key towards receivers.
type Alert struct {
	ID         string     `json:"id"`
	Rule       string     `json:"rule"`
	MentionKey string     `json:"mention_key"`
	Source     string     `json:"source"`
	Brand      string     `json:"brand,omitempty"`
	State      AlertState `json:"state"`
	Summary    string     `json:"summary"`
	Reasons    []string   `json:"reasons"`
	Priority   float64    `json:"priority"`
	OpenedAt   time.Time  `json:"opened_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
	// By is who last changed the state by hand (empty for the system).
	By string `json:"by,omitempty"`
	// SnoozedUntil holds the alert's notifications back (not its record)
	// until then.
	SnoozedUntil *time.Time `json:"snoozed_until,omitempty"`
	// Level is the escalation level the alert has reached (1 is the
	// first; 0 before any route took it); EscalatedAt is when.
	Level       int        `json:"level,omitempty"`
	EscalatedAt *time.Time `json:"escalated_at,omitempty"`
}

// AlertID builds the stable id of the alert a rule raises for a mention.
func AlertID(rule, mentionKey string) string { return rule + "|" + mentionKey }

// SourceState is what Pantau remembers about one configured source between
// polls: the collector's cursor and the source's health.
type SourceState struct {
	Source string `json:"source"`
	Kind   string `json:"kind"`
	// Cursor is opaque to the store; each collector defines its content
	// (a high-water mark, ETag and Last-Modified, a stream position...).
	Cursor string `json:"cursor,omitempty"`

	LastSuccess time.Time `json:"last_success"`
	LastError   time.Time `json:"last_error"`
	// LastErrorText is the last error's message. Collectors must keep
	// secrets out of it.
	LastErrorText     string `json:"last_error_text,omitempty"`
	ConsecutiveErrors int    `json:"consecutive_errors"`
	// NextAttempt is when the source may be polled again after errors
	// (backoff or a Retry-After); zero means now.
	NextAttempt time.Time `json:"next_attempt"`
	// ItemsSeen counts new mentions stored from this source, ever.
	ItemsSeen int64 `json:"items_seen"`
	// LastItems is how many new mentions the last successful poll stored.
	LastItems int `json:"last_items"`
	// Newest is the creation time of the newest mention stored from this
	// source; now minus Newest is the source's lag.
	Newest time.Time `json:"newest"`
	// Hourly counts new mentions per hour over the last day, oldest
	// first, for the items-per-hour figure.
	Hourly []HourCount `json:"hourly,omitempty"`
	// Coverage says in plain words what the source can and cannot see.
	Coverage string `json:"coverage,omitempty"`
}

// HourCount is how many new mentions arrived in the hour starting at Hour.
type HourCount struct {
	Hour time.Time `json:"hour"`
	N    int       `json:"n"`
}

// ItemsLastDay sums Hourly over the 24 hours before now.
func (s SourceState) ItemsLastDay(now time.Time) int {
	n := 0
	for _, h := range s.Hourly {
		if now.Sub(h.Hour) < 24*time.Hour {
			n += h.N
		}
	}
	return n
}

// Batch is what one collector poll produces. Ingest commits all of it, the
// cursor included, in one transaction.
type Batch struct {
	Source string
	Kind   string
	// At is when the poll happened (the source's LastSuccess).
	At       time.Time
	Mentions []Mention
	Samples  []MentionSample
	// Cursor is the source's new cursor; nil leaves it unchanged.
	Cursor *string
	// Coverage, when set, replaces the source's coverage statement.
	Coverage string
	// Refresh marks a re-read of known mentions (engagement, replies)
	// rather than a poll for new ones: it leaves LastItems alone.
	Refresh bool
}

// IngestResult says what an Ingest changed.
type IngestResult struct {
	// New holds the mentions stored for the first time, as stored.
	New []Mention
	// Duplicates counts mentions that were already stored.
	Duplicates int
	// Rejected holds one error per mention or sample skipped as invalid;
	// the rest of the batch is stored.
	Rejected []error
	// Answered holds the keys of mentions that got their first brand reply.
	Answered []string
	// Sampled holds the keys that got engagement samples, once each.
	Sampled []string
}

// Event types. Each Event's Data is the JSON of the named record.
const (
	EventMentionNew      = "mention.new"      // Data: Mention
	EventMentionScored   = "mention.scored"   // Data: Mention (with its new Score)
	EventMentionAnswered = "mention.answered" // Data: Mention (with AnsweredAt/By)
	EventAlert           = "alert"            // Data: Alert (opened or changed)
	EventSourceHealth    = "source.health"    // Data: SourceState
	EventMentionHandled  = "mention.handled"  // Data: Mention (with Handling, AssignedTo)
)

// Event is one state change the dashboard shows. Seq increases by one with
// every event and is never reused, across restarts too.
type Event struct {
	Seq  uint64          `json:"seq"`
	Type string          `json:"type"`
	At   time.Time       `json:"at"`
	Data json.RawMessage `json:"data"`
}

// MentionQuery filters the latest mentions. Zero fields do not filter.
type MentionQuery struct {
	Source string
	Kind   string
	Brand  string
	Lang   string // the scorer's detected language
	// MinComplaint keeps mentions whose score's Complaint is at least this.
	MinComplaint float64
	// Text keeps mentions whose text contains it, case-insensitively.
	Text string
	// Before and BeforeKey page backwards: only mentions seen strictly
	// before (Before, BeforeKey), the SeenAt and Key of the last mention of
	// the previous page. Mentions of one batch share a SeenAt, so the key
	// is needed to page inside a batch.
	Before    time.Time
	BeforeKey string
	Limit     int
}

// Match reports whether m passes the query's filters (not Before or Limit).
func (q MentionQuery) Match(m *Mention) bool {
	if q.Source != "" && m.Source != q.Source {
		return false
	}
	if q.Kind != "" && m.Kind != q.Kind {
		return false
	}
	if q.Brand != "" && m.Brand != q.Brand {
		return false
	}
	if q.Lang != "" && (m.Score == nil || m.Score.Lang != q.Lang) {
		return false
	}
	if q.MinComplaint > 0 && (m.Score == nil || m.Score.Complaint < q.MinComplaint) {
		return false
	}
	if q.Text != "" && !strings.Contains(strings.ToLower(m.Title+"\n"+m.Text), strings.ToLower(q.Text)) {
		return false
	}
	return true
}

// AlertQuery filters alerts. Zero fields do not filter.
type AlertQuery struct {
	State  AlertState
	Source string
	Brand  string
	Limit  int
}
