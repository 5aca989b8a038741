package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/pantau/pantau/alerting/audit"
	"github.com/pantau/pantau/store"
)

// auditLine is one JSON input line of `pantau audit`.
type auditLine struct {
	Text          string   `json:"text"`
	InReplyTo     string   `json:"in_reply_to"`
	ReplySeconds  *float64 `json:"reply_seconds"`
	TargetSeconds *float64 `json:"target_seconds"`
}

// auditOut is one output line: the audit of an input line, or an error
// naming the line.
type auditOut struct {
	Line      int                `json:"line"`
	Error     string             `json:"error,omitempty"`
	Verdict   string             `json:"verdict,omitempty"`
	Reasons   []string           `json:"reasons,omitempty"`
	Checks    []store.AuditCheck `json:"checks,omitempty"`
	Signature string             `json:"signature,omitempty"`
	// ResponseSeconds echoes the response time the audit used.
	ResponseSeconds float64 `json:"response_seconds,omitempty"`
	// PII is always present (empty when none), so consumers can rely on it.
	PII    *[]store.Span `json:"pii,omitempty"`
	Masked string        `json:"masked,omitempty"`
}

// cmdAudit audits brand replies read from stdin, one per line: JSON
// objects ({"text": ..., "in_reply_to": ..., "reply_seconds": ...,
// "target_seconds": ...}; all but text optional) or plain text (a line not
// starting with '{' is the reply). It writes one JSON line per input line:
// the verdict, each check, the personal data found (kind, byte offsets in
// the reply) and the reply with it masked. A bad line gets an output line
// with an "error" naming its number, and processing goes on; only a read
// or write failure stops the command.
func cmdAudit(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("audit", flag.ContinueOnError)
	fs.SetOutput(stderr)
	maxLine := fs.Int("max-line", 64<<10, "longest input line in bytes; longer lines are reported and skipped")
	target := fs.Duration("target", time.Hour, "response target for lines without target_seconds")
	cannedAfter := fs.Int("canned-after", 3, "the same reply to this many customers counts as canned")
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: pantau audit [flags] < replies.jsonl

Audits brand replies, one per line: JSON lines
  {"text": "...", "in_reply_to": "<customer's post>", "reply_seconds": 1234, "target_seconds": 3600}
(all but text optional) or plain text lines. Writes one JSON line per reply.

`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("audit: unexpected argument %q (replies are read from stdin)", fs.Arg(0))
	}
	if *maxLine < 1 {
		return errors.New("audit: -max-line must be positive")
	}
	if *target <= 0 {
		return errors.New("audit: -target must be positive")
	}
	a, err := audit.New(audit.Config{DefaultTarget: *target, CannedAfter: *cannedAfter})
	if err != nil {
		return err
	}

	r := bufio.NewReaderSize(stdin, 64<<10)
	w := bufio.NewWriter(stdout)
	enc := json.NewEncoder(w)
	// The output is data for programs and people at a terminal, not HTML:
	// keep "&" and "<" readable. Nothing here is ever rendered as HTML.
	enc.SetEscapeHTML(false)

	for n := 1; ; n++ {
		if err := ctx.Err(); err != nil {
			w.Flush()
			return err
		}
		line, tooLong, err := readLine(r, *maxLine)
		// blank lines are skipped silently, but still counted
		if len(bytes.TrimSpace(line)) > 0 || tooLong {
			out := auditOne(a, n, line, tooLong, *maxLine)
			if err := enc.Encode(out); err != nil {
				return fmt.Errorf("audit: write: %w", err)
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			w.Flush()
			return fmt.Errorf("audit: read line %d: %w", n, err)
		}
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("audit: write: %w", err)
	}
	return nil
}

// readLine reads one line without its line ending. A line longer than max
// is consumed to its end and reported as too long, without holding more
// than max bytes of it.
func readLine(r *bufio.Reader, max int) (line []byte, tooLong bool, err error) {
	var buf []byte
	for {
		chunk, err := r.ReadSlice('\n')
		if !tooLong {
			if len(buf)+len(chunk) > max+2 { // +2: the line ending
				tooLong = true
				buf = nil
			} else {
				buf = append(buf, chunk...)
			}
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		buf = bytes.TrimRight(buf, "\r\n")
		if !tooLong && len(buf) > max {
			tooLong, buf = true, nil
		}
		return buf, tooLong, err
	}
}

func auditOne(a *audit.Auditor, n int, line []byte, tooLong bool, max int) auditOut {
	if tooLong {
		return auditOut{Line: n, Error: fmt.Sprintf("line %d: longer than %d bytes, skipped", n, max)}
	}
	trimmed := bytes.TrimSpace(line)
	var in audit.ReplyInput
	if trimmed[0] == '{' {
		var l auditLine
		dec := json.NewDecoder(bytes.NewReader(trimmed))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&l); err != nil {
			return auditOut{Line: n, Error: fmt.Sprintf("line %d: invalid JSON: %v", n, err)}
		}
		if dec.More() {
			return auditOut{Line: n, Error: fmt.Sprintf("line %d: invalid JSON: more than one value", n)}
		}
		if strings.TrimSpace(l.Text) == "" {
			return auditOut{Line: n, Error: fmt.Sprintf("line %d: \"text\" is missing or empty", n)}
		}
		in.Text, in.InReplyTo = l.Text, l.InReplyTo
		if l.ReplySeconds != nil {
			if *l.ReplySeconds < 0 {
				return auditOut{Line: n, Error: fmt.Sprintf("line %d: reply_seconds must not be negative", n)}
			}
			in.ResponseTime = time.Duration(*l.ReplySeconds * float64(time.Second))
		}
		if l.TargetSeconds != nil {
			if *l.TargetSeconds <= 0 {
				return auditOut{Line: n, Error: fmt.Sprintf("line %d: target_seconds must be positive", n)}
			}
			in.Target = time.Duration(*l.TargetSeconds * float64(time.Second))
		}
	} else {
		// Offsets refer to the text as audited: make it valid UTF-8 first
		// so they match what a JSON consumer sees.
		in.Text = strings.ToValidUTF8(string(line), "\uFFFD")
	}
	res := a.Check(in)
	spans := res.PII
	if spans == nil {
		spans = []store.Span{}
	}
	return auditOut{
		Line:            n,
		Verdict:         res.Audit.Verdict,
		Reasons:         res.Reasons,
		Checks:          res.Audit.Checks,
		Signature:       res.Audit.Signature,
		ResponseSeconds: res.Audit.ResponseTime.Seconds(),
		PII:             &spans,
		Masked:          audit.Mask(in.Text, spans),
	}
}
