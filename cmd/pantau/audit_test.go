package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

type auditResult struct {
	Line    int    `json:"line"`
	Error   string `json:"error"`
	Verdict string `json:"verdict"`
	Reasons []string
	Checks  []struct {
		Name   string `json:"name"`
		Pass   bool   `json:"pass"`
		Detail string `json:"detail"`
	} `json:"checks"`
	Signature       string  `json:"signature"`
	ResponseSeconds float64 `json:"response_seconds"`
	PII             *[]struct {
		Kind       string `json:"kind"`
		Start, End int
	} `json:"pii"`
	Masked string `json:"masked"`
}

func runAudit(t *testing.T, input string, args ...string) ([]auditResult, string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := cmdAudit(ctx, args, strings.NewReader(input), &out, &errb)
	var res []auditResult
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if l == "" {
			continue
		}
		var r auditResult
		if jerr := json.Unmarshal([]byte(l), &r); jerr != nil {
			t.Fatalf("output line is not JSON: %q: %v", l, jerr)
		}
		res = append(res, r)
	}
	return res, errb.String(), err
}

func TestCmdAudit(t *testing.T) {
	input := strings.Join([]string{
		`{"text": "Maaf kak, kurir akan menghubungi Kakak di 0812-3456-7890 besok ya ^RN", "in_reply_to": "Paket saya belum sampai, kecewa", "reply_seconds": 5400, "target_seconds": 3600}`,
		`Baca dulu dong kak 🙄`,
		`{"text": broken`,
		``,
		`   `,
		`{"text": "We're sorry! Please DM us your order number and we'll sort it today."}`,
		`{"text": ""}`,
		`{"text": "ok", "reply_secs": 3}`,
		`{"text": "a"} {"text": "b"}`,
		`{"text": "Sorry!", "reply_seconds": -1}`,
		"Terima kasih kak!\r",
	}, "\n")
	res, _, err := runAudit(t, input)
	if err != nil {
		t.Fatal(err)
	}
	byLine := map[int]auditResult{}
	for _, r := range res {
		byLine[r.Line] = r
	}
	if len(res) != 9 {
		t.Fatalf("%d output lines, want 9 (blank lines are skipped): %+v", len(res), res)
	}

	r := byLine[1]
	if r.Verdict != "violation" || r.Signature != "RN" || r.ResponseSeconds != 5400 {
		t.Errorf("line 1: %+v", r)
	}
	if r.PII == nil || len(*r.PII) != 1 || (*r.PII)[0].Kind != "phone" || (*r.PII)[0].Start != 42 || (*r.PII)[0].End != 56 {
		t.Errorf("line 1 pii: %+v", r.PII)
	}
	if r.Masked != "Maaf kak, kurir akan menghubungi Kakak di 0812****7890 besok ya ^RN" {
		t.Errorf("line 1 masked: %q", r.Masked)
	}
	names := map[string]bool{}
	for _, c := range r.Checks {
		names[c.Name] = c.Pass
	}
	if pass, ok := names["response_time"]; !ok || pass {
		t.Errorf("line 1: response_time should fail: %+v", r.Checks)
	}
	if names["pii"] || !names["empathy"] {
		t.Errorf("line 1 checks: %+v", r.Checks)
	}

	if r := byLine[2]; r.Verdict != "violation" || r.PII == nil || len(*r.PII) != 0 || r.Masked != "Baca dulu dong kak 🙄" {
		t.Errorf("line 2 (plain text): %+v", r)
	}
	if r := byLine[6]; r.Verdict != "ok" {
		t.Errorf("line 6: %+v", r)
	}
	if r := byLine[11]; r.Error != "" || r.Masked != "Terima kasih kak!" {
		t.Errorf("line 11 (CRLF): %+v", r)
	}
	for line, want := range map[int]string{
		3:  "line 3: invalid JSON",
		7:  `line 7: "text" is missing or empty`,
		8:  `line 8: invalid JSON: json: unknown field "reply_secs"`,
		9:  "line 9: invalid JSON: more than one value",
		10: "line 10: reply_seconds must not be negative",
	} {
		if r := byLine[line]; !strings.HasPrefix(r.Error, want) || r.Verdict != "" {
			t.Errorf("line %d: error %q, want prefix %q", line, r.Error, want)
		}
	}
}

func TestCmdAuditLongLine(t *testing.T) {
	long := strings.Repeat("x", 5000)
	input := "Sorry, DM us.\n" + long + "\n" + `{"text": "` + long + `"}` + "\nMaaf kak, DM ya.\n" + long
	res, _, err := runAudit(t, input, "-max-line", "1000")
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 5 {
		t.Fatalf("%d lines: %+v", len(res), res)
	}
	for _, i := range []int{1, 4} {
		if res[i].Error != "line "+string(rune('1'+i))+": longer than 1000 bytes, skipped" {
			t.Errorf("line %d: %q", i+1, res[i].Error)
		}
	}
	if res[0].Error != "" || res[3].Error != "" || res[3].Line != 4 {
		t.Errorf("short lines around long ones: %+v %+v", res[0], res[3])
	}
	if res[4].Error == "" || res[4].Line != 5 {
		t.Errorf("last long line without newline: %+v", res[4])
	}
}

func TestCmdAuditCanned(t *testing.T) {
	line := "Mohon maaf atas ketidaknyamanannya Kak. Silakan DM kami untuk info lebih lanjut ya.\n"
	res, _, err := runAudit(t, strings.Repeat(line, 3))
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Verdict != "ok" || res[2].Verdict != "needs_attention" {
		t.Errorf("canned: %s %s", res[0].Verdict, res[2].Verdict)
	}
}

func TestCmdAuditFlags(t *testing.T) {
	if _, _, err := runAudit(t, "", "-max-line", "0"); err == nil {
		t.Error("-max-line 0 accepted")
	}
	if _, _, err := runAudit(t, "", "extra"); err == nil {
		t.Error("argument accepted")
	}
	if _, _, err := runAudit(t, "", "-canned-after", "99"); err == nil {
		t.Error("-canned-after 99 accepted")
	}
	// target default applies when a line has none
	res, _, err := runAudit(t, `{"text": "Sorry, DM us.", "reply_seconds": 1200}`, "-target", "15m")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range res[0].Checks {
		if c.Name == "response_time" && (c.Pass || !strings.Contains(c.Detail, "15m target")) {
			t.Errorf("response_time %+v", c)
		}
	}
}

func TestCmdAuditCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := cmdAudit(ctx, nil, strings.NewReader("Sorry\n"), &bytes.Buffer{}, &bytes.Buffer{})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v", err)
	}
}
