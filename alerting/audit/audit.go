// Package audit checks a brand's public replies against customer-service
// ethics and finds personal data in any text.
//
// Three tools, used by the alerting pipeline and by `pantau audit`:
//
//   - FindPII(text) finds phone numbers, e-mail addresses, street
//     addresses, order/tracking/booking numbers, NIKs, card and bank
//     account numbers and vehicle plates, as byte spans. On a brand reply
//     a span is a violation; on a customer post it means the customer
//     exposed their own data and the agent should move to a private channel.
//   - Mask(text, spans) hides them with a hint ("0812****7890") for every
//     place text is shown or sent.
//   - Auditor.Audit(reply) judges a reply: response time, empathy,
//     ownership, next step, tone, canned wording, compensation offered in
//     public, personal data exposed; with a verdict (ok, needs_attention,
//     violation) and the words behind each check. The reply is never
//     modified.
//
// Report aggregates audited replies per brand account and per agent
// signature. EvalLabeledSet measures all of it on the labeled replies in
// testdata/replies.jsonl (embedded; see LabeledSet).
//
// Everything is word lists and hand-written scanners, in English and
// Indonesian (informal spelling included): fast (tens of thousands of
// audits per second per core), deterministic, and explainable. It reads
// wording, not meaning: a polite reply that says nothing useful in new
// words, or irony without markers, gets through. See docs/audit.md.
package audit

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pantau/pantau/store"
)

// Check names (store.AuditCheck.Name), in the order they appear in an
// audit.
const (
	CheckResponseTime = "response_time"
	CheckEmpathy      = "empathy"
	CheckOwnership    = "ownership"
	CheckNextStep     = "next_step"
	CheckTone         = "tone"
	CheckCanned       = "canned"
	CheckCompensation = "compensation"
	CheckPII          = "pii"
)

// CheckNames lists every check in audit order.
var CheckNames = []string{CheckResponseTime, CheckEmpathy, CheckOwnership, CheckNextStep, CheckTone,
	CheckCanned, CheckCompensation, CheckPII}

// Verdicts (store.Audit.Verdict).
const (
	// VerdictOK: every check passed.
	VerdictOK = "ok"
	// VerdictNeedsAttention: something to coach or review (slow, no
	// empathy, no next step, defensive wording, canned, compensation
	// offered in public), not a breach.
	VerdictNeedsAttention = "needs_attention"
	// VerdictViolation: a breach of the ethics: personal data exposed,
	// the customer blamed, or mockery and hostility in public.
	VerdictViolation = "violation"
)

// ScorerName identifies this auditor and its version; the pipeline can put
// it next to Score.Scorer so old audits can be told apart after an upgrade.
const ScorerName = "audit/1"

// ReplyInput is one brand reply to audit. Only Text is required.
type ReplyInput struct {
	// Text is the reply as published. It is read, never modified.
	Text string
	// InReplyTo is the customer's post the reply answers, when known. It
	// decides whether the reply answers a complaint (empathy, ownership
	// and a next step are then expected).
	InReplyTo string
	// Complaint, when set, overrides that decision: the pipeline already
	// scored the customer's post (Score.Complaint >= 0.5).
	Complaint *bool
	// ResponseTime is from the customer's post to this reply; zero when
	// not known (the response_time check is then left out).
	ResponseTime time.Duration
	// Target is the channel's response target; zero uses the Auditor's
	// DefaultTarget.
	Target time.Duration
	// Recipient identifies who the reply went to (the customer's handle or
	// the key of the post it answers), so that re-auditing the same reply
	// does not count it twice as canned. Empty: every call counts.
	Recipient string
}

// Config tunes an Auditor. The zero value is usable: New fills in defaults.
type Config struct {
	// DefaultTarget is the response target when a reply gives none.
	// Default 1h: social media should be answered within about an hour.
	DefaultTarget time.Duration
	// CannedAfter is how many distinct recipients the same reply, word for
	// word, may reach before it counts as canned (from that one on).
	// Default 3, at most 16.
	CannedAfter int
	// CannedMemory is how many distinct recent replies are remembered for
	// canned detection (an LRU). Default 4096.
	CannedMemory int
	// CannedMinWords: replies shorter than this ("Terima kasih kak!") are
	// never canned; repeating a thank-you is fine. Default 5.
	CannedMinWords int
	// BrandContacts are the brand's own phone numbers and e-mail
	// addresses: publishing them is not exposing personal data. Phone
	// numbers are compared by digits, with 0 and +62 prefixes equivalent.
	BrandContacts []string
}

// Validate reports every bad field.
func (c Config) Validate() error {
	var errs []error
	if c.DefaultTarget < 0 {
		errs = append(errs, errors.New("audit: default_target must not be negative"))
	}
	if c.CannedAfter < 0 || c.CannedAfter > maxCannedAfter {
		errs = append(errs, fmt.Errorf("audit: canned_after must be between 1 and %d", maxCannedAfter))
	}
	if c.CannedMemory < 0 {
		errs = append(errs, errors.New("audit: canned_memory must not be negative"))
	}
	if c.CannedMinWords < 0 {
		errs = append(errs, errors.New("audit: canned_min_words must not be negative"))
	}
	return errors.Join(errs...)
}

// Auditor audits brand replies. It is safe for concurrent use; its only
// state is the bounded memory of recent replies for canned detection.
type Auditor struct {
	cfg    Config
	brand  map[string]bool
	canned *cannedMemory
}

// New returns an Auditor with cfg's zero fields set to their defaults.
func New(cfg Config) (*Auditor, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.DefaultTarget == 0 {
		cfg.DefaultTarget = time.Hour
	}
	if cfg.CannedAfter == 0 {
		cfg.CannedAfter = 3
	}
	if cfg.CannedMemory == 0 {
		cfg.CannedMemory = 4096
	}
	if cfg.CannedMinWords == 0 {
		cfg.CannedMinWords = 5
	}
	a := &Auditor{cfg: cfg, brand: map[string]bool{}, canned: newCannedMemory(cfg.CannedMemory)}
	for _, c := range cfg.BrandContacts {
		if k := contactKey(c); k != "" {
			a.brand[k] = true
		}
	}
	getLexicon()
	return a, nil
}

// Result is an audit with what the pipeline needs beside it.
type Result struct {
	// Audit goes to the brand reply's Score.Audit.
	Audit store.Audit
	// PII is the personal data found in the reply (Score.PII); any span is
	// a violation.
	PII []store.Span
	// Reasons explains the verdict in plain language: the failed checks'
	// details, breaches first. Empty when the verdict is ok.
	Reasons []string
	// Complaint is whether the reply was judged as answering a complaint.
	Complaint bool
}

// Audit judges one reply. See Check for the personal-data spans and the
// reasons.
func (a *Auditor) Audit(in ReplyInput) store.Audit { return a.Check(in).Audit }

var normPool = sync.Pool{New: func() any { return new(norm) }}

type found struct {
	n     [numCategories]int
	texts [numCategories][3]string
}

func (f *found) add(c category, text string) {
	k := min(f.n[c], len(f.texts[c]))
	for _, t := range f.texts[c][:k] {
		if strings.EqualFold(t, text) {
			f.n[c]++
			return
		}
	}
	if k < len(f.texts[c]) {
		f.texts[c][k] = text
	}
	f.n[c]++
}

func (f *found) quote(cs ...category) string {
	var b strings.Builder
	n := 0
	for _, c := range cs {
		for _, t := range f.texts[c][:min(f.n[c], len(f.texts[c]))] {
			if n == 3 {
				return b.String()
			}
			if n > 0 {
				b.WriteString(", ")
			}
			b.WriteByte('\'')
			b.WriteString(t)
			b.WriteByte('\'')
			n++
		}
	}
	return b.String()
}

// Check audits one reply and returns the audit with its personal-data spans
// and the reasons for its verdict.
func (a *Auditor) Check(in ReplyInput) Result {
	lx := getLexicon()
	z := normPool.Get().(*norm)
	z.reset()
	defer normPool.Put(z)

	sig, sigAt := Signature(in.Text)
	z.run(lx, in.Text, false)
	until := len(z.toks)
	if sigAt >= 0 {
		for until > 0 && int(z.toks[until-1].raw) >= sigAt {
			until--
		}
	}
	var f found
	lx.match(z, until, func(h hit) {
		p := &lx.phrases[h.phrase]
		if p.negatable && lx.negated(z, h, p.cat == catComp) {
			return
		}
		if p.cat == catComp && lx.terms(z, h) {
			return
		}
		// quote the reply's own words ("maaaf bgt", "1x24 jam"), not the
		// phrase that matched them
		f.add(p.cat, in.Text[z.toks[h.at].raw:z.toks[h.at+h.n-1].rawE])
	})

	complaint := true
	switch {
	case in.Complaint != nil:
		complaint = *in.Complaint
	case strings.TrimSpace(in.InReplyTo) != "":
		complaint = isComplaint(lx, in.InReplyTo)
	default:
		// Without the customer's post, assume a complaint (what Pantau
		// exists to watch) unless the reply thanks without apologising.
		complaint = !(f.n[catThanks] > 0 && f.n[catApology] == 0)
	}

	res := Result{Complaint: complaint}
	au := &res.Audit
	au.Signature = sig
	au.Checks = make([]store.AuditCheck, 0, len(CheckNames))
	var breach, attention []string

	fail := func(name, detail string, violation bool) {
		au.Checks = append(au.Checks, store.AuditCheck{Name: name, Detail: detail})
		if violation {
			breach = append(breach, detail)
		} else {
			attention = append(attention, detail)
		}
	}
	pass := func(name, detail string) {
		au.Checks = append(au.Checks, store.AuditCheck{Name: name, Pass: true, Detail: detail})
	}

	// response_time
	if in.ResponseTime > 0 {
		au.ResponseTime = in.ResponseTime
		target := in.Target
		if target <= 0 {
			target = a.cfg.DefaultTarget
		}
		if in.ResponseTime <= target {
			pass(CheckResponseTime, "replied in "+fmtDur(in.ResponseTime)+", within the "+fmtDur(target)+" target")
		} else {
			fail(CheckResponseTime, "replied in "+fmtDur(in.ResponseTime)+", "+fmtDur(in.ResponseTime-target)+
				" past the "+fmtDur(target)+" target", false)
		}
	}

	// empathy
	switch {
	case !complaint:
		pass(CheckEmpathy, "not a complaint: nothing to acknowledge")
	case f.n[catApology]+f.n[catAck] > 0:
		pass(CheckEmpathy, "acknowledges the customer: "+f.quote(catAck, catApology))
	default:
		fail(CheckEmpathy, "answers a complaint without acknowledging the customer's frustration or trouble (no apology, no 'we understand')", false)
	}

	// ownership
	blame := f.n[catBlame] > 0
	switch {
	case blame:
		fail(CheckOwnership, "blames the customer or denies responsibility in public: "+f.quote(catBlame), true)
	case !complaint:
		pass(CheckOwnership, "not a complaint: nothing to own")
	case f.n[catApology]+f.n[catAdmit] > 0:
		pass(CheckOwnership, "apologises or owns the problem: "+f.quote(catAdmit, catApology))
	default:
		fail(CheckOwnership, "no apology or admission for the customer's complaint", false)
	}

	// next_step
	if !complaint {
		pass(CheckNextStep, "not a complaint: no next step needed")
	} else {
		private := f.n[catPrivate] > 0
		solution := f.n[catSolution] > 0
		action, weak := f.n[catAction] > 0, f.n[catWeakAction] > 0
		commit, done, when := f.n[catCommit] > 0, f.n[catDone] > 0, f.n[catTime] > 0
		switch {
		case private || solution || action && (commit || done || when) || weak && when || commit && when:
			pass(CheckNextStep, "gives a next step: "+f.quote(catPrivate, catSolution, catAction, catWeakAction, catTime))
		case weak || action || commit:
			fail(CheckNextStep, "only a vague promise ("+f.quote(catWeakAction, catAction, catCommit)+
				"): say what happens, who does it and when, or move to a private channel", false)
		default:
			fail(CheckNextStep, "no next step: say what happens, who does it and when, or move to a private channel (DM, e-mail, WhatsApp)", false)
		}
	}

	// tone
	hostile := f.n[catHostile] > 0 || complaint && f.n[catLaugh] > 0
	switch {
	case hostile || blame:
		fail(CheckTone, "hostile or blaming in public: "+f.quote(catHostile, catLaugh, catBlame), true)
	case f.n[catDefensive] > 0:
		fail(CheckTone, "defensive or lecturing: "+f.quote(catDefensive), false)
	default:
		pass(CheckTone, "calm: no defensive, sarcastic or blaming wording")
	}

	// canned
	words, key := cannedKey(z, until)
	if words < a.cfg.CannedMinWords {
		pass(CheckCanned, "too short to count as a template")
	} else {
		var rk uint64
		if in.Recipient != "" {
			rk = fnvString(fnvOffset, in.Recipient) | 1 // never 0, which means "unknown"
		}
		if n := a.canned.observe(key, rk); n >= a.cfg.CannedAfter {
			fail(CheckCanned, "canned: the same reply, word for word, went to "+strconv.Itoa(n)+
				" customers recently; personalise it", false)
		} else {
			pass(CheckCanned, "not repeated word for word")
		}
	}

	// compensation
	if f.n[catComp] > 0 {
		fail(CheckCompensation, "offers compensation in the open thread ("+f.quote(catComp)+
			"): review it; offers are better made in private", false)
	} else {
		pass(CheckCompensation, "no compensation offered in public")
	}

	// pii
	res.PII = a.filterBrand(in.Text, FindPII(in.Text))
	if len(res.PII) > 0 {
		fail(CheckPII, "exposes personal data in public: "+kindList(res.PII)+"; delete or edit the reply and continue in private", true)
	} else {
		pass(CheckPII, "no personal data")
	}

	switch {
	case len(breach) > 0:
		au.Verdict = VerdictViolation
	case len(attention) > 0:
		au.Verdict = VerdictNeedsAttention
	default:
		au.Verdict = VerdictOK
	}
	if len(breach)+len(attention) > 0 {
		res.Reasons = append(breach, attention...)
	}
	return res
}

// Reasons returns the details of an audit's failed checks, for an audit
// read back from the store.
func Reasons(a store.Audit) []string {
	var out []string
	for _, c := range a.Checks {
		if !c.Pass {
			out = append(out, c.Name+": "+c.Detail)
		}
	}
	return out
}

// isComplaint judges a customer's post the brand replied to. Complaint
// words decide when there are any (and at least as many as praise words;
// "gak pernah kecewa" is negated and counts for nothing). Without either,
// a question ("jam buka sampai jam berapa?") is not a complaint, and
// anything else is: people rarely get a brand's reply to a neutral
// statement, and the cost of a wrong "complaint" (asking for empathy that
// was not needed) is lower than the cost of missing one.
func isComplaint(lx *lexicon, text string) bool {
	z := normPool.Get().(*norm)
	z.reset()
	defer normPool.Put(z)
	z.run(lx, text, false)
	var c, p, q int
	lx.match(z, len(z.toks), func(h hit) {
		ph := &lx.phrases[h.phrase]
		switch ph.cat {
		case catComplaint:
			if !(ph.negatable && lx.negated(z, h, false)) {
				c++
			}
		case catPraise:
			p++
		case catQuestion:
			q++
		}
	})
	question := q > 0 || strings.Contains(text, "?")
	switch {
	case c > 0:
		return c >= p
	case p > 0:
		return false
	default:
		return !question
	}
}

// cannedKey hashes the reply's words (without handles, links, emoji and the
// signature, so "@ani ... ^RN" and "@budi ... ^TK" are the same template)
// and counts them.
func cannedKey(z *norm, until int) (int, uint64) {
	h := uint64(fnvOffset)
	words := 0
	for i := 0; i < until; i++ {
		t := z.toks[i]
		if t.emoji {
			continue
		}
		h = fnvString(h, string(z.buf[t.s:t.e]))
		h = (h ^ ' ') * fnvPrime
		words++
	}
	return words, h
}

// FNV-1a, inline: hash/fnv's hasher escapes to the heap on every call.
const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func fnvString(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * fnvPrime
	}
	return h
}

func (a *Auditor) filterBrand(text string, spans []store.Span) []store.Span {
	if len(a.brand) == 0 || len(spans) == 0 {
		return spans
	}
	out := spans[:0]
	for _, sp := range spans {
		if (sp.Kind == KindPhone || sp.Kind == KindEmail) && a.brand[contactKey(text[sp.Start:sp.End])] {
			continue
		}
		out = append(out, sp)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// contactKey normalises a phone number to its national digits (0812...,
// 62812... and +62 812... are one number) and an e-mail address to lower
// case.
func contactKey(s string) string {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "@") {
		return strings.ToLower(s)
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) {
			b.WriteByte(s[i])
		}
	}
	d := b.String()
	switch {
	case strings.HasPrefix(d, "62"):
		d = d[2:]
	case strings.HasPrefix(d, "0"):
		d = d[1:]
	}
	return d
}

func kindList(spans []store.Span) string {
	var kinds []string
	for _, sp := range spans {
		seen := false
		for _, k := range kinds {
			if k == sp.Kind {
				seen = true
			}
		}
		if !seen {
			kinds = append(kinds, sp.Kind)
		}
	}
	return strings.Join(kinds, ", ")
}

// fmtDur prints a duration the way people say it: "45s", "12m", "2h13m",
// "26h".
func fmtDur(d time.Duration) string {
	if d < time.Minute {
		return strconv.Itoa(int(d.Round(time.Second)/time.Second)) + "s"
	}
	d = d.Round(time.Minute)
	h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
	switch {
	case h == 0:
		return strconv.Itoa(m) + "m"
	case m == 0:
		return strconv.Itoa(h) + "h"
	}
	return strconv.Itoa(h) + "h" + strconv.Itoa(m) + "m"
}
