package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

func TestCmdScore(t *testing.T) {
	in := strings.Join([]string{
		`udh 3 hari paket blm nyampe, kecewa bgt min`,
		`{"text": "I'm calling my lawyer, my refund is two months late", "lang": "en", "source": "x", "followers": 52000, "engagement": {"reposts": 40, "likes": 300}, "extra": [1,2]}`,
		`{"text": broken`,
		``,
		`{"lang": "id"}`,
		`Le service est nul`,
		strings.Repeat("a", maxScoreLine+10),
		`{"text": "<script>alert(1)</script> kecewa"}`,
		`terima kasih kak, sudah beres`,
	}, "\n")
	var out, errOut bytes.Buffer
	if err := cmdScore(context.Background(), nil, strings.NewReader(in), &out, &errOut); err != nil {
		t.Fatal(err, errOut.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 8 { // the blank line is no input
		t.Fatalf("%d output lines, want 8:\n%s", len(lines), out.String())
	}
	var rows []map[string]any
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("output is not JSON: %q: %v", l, err)
		}
		rows = append(rows, m)
	}
	if r := rows[0]; r["line"] != 1.0 || r["lang"] != "id" || r["scored"] != true || r["complaint"].(float64) < 0.5 || r["virality"] != nil {
		t.Errorf("plain line: %v", r)
	}
	if r := rows[1]; r["source"] != "x" || r["virality"] == nil || len(r["threats"].([]any)) == 0 || r["reasons"] == nil {
		t.Errorf("JSON line: %v", r)
	}
	if r := rows[2]; r["line"] != 3.0 || !strings.Contains(r["error"].(string), "line 3") {
		t.Errorf("malformed line: %v", r)
	}
	if r := rows[3]; r["line"] != 5.0 || !strings.Contains(r["error"].(string), "text") {
		t.Errorf("no text: %v", r)
	}
	if r := rows[4]; r["lang"] != "other" || r["scored"] != false || r["complaint"] != nil {
		t.Errorf("French: %v", r)
	}
	if r := rows[5]; r["line"] != 7.0 || !strings.Contains(r["error"].(string), "longer than") {
		t.Errorf("long line: %v", r)
	}
	if strings.Contains(lines[6], "<script>") {
		t.Errorf("HTML not escaped: %s", lines[6])
	}
	if r := rows[7]; r["line"] != 9.0 || r["complaint"].(float64) >= 0.5 {
		t.Errorf("thanks: %v", r)
	}
}

func TestCmdScoreCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out, errOut bytes.Buffer
	if err := cmdScore(ctx, nil, strings.NewReader("a\nb\n"), &out, &errOut); err == nil {
		t.Error("a cancelled score should stop with the context's error")
	}
}

func TestCmdEvalNoData(t *testing.T) {
	var out, errOut bytes.Buffer
	err := cmdEval(context.Background(), []string{"-data", filepath.Join(t.TempDir(), "missing")}, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "no data folder") {
		t.Errorf("err = %v", err)
	}
}
