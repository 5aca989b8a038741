package audit

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pantau/pantau/store"
)

const (
	complaintEN = "My package still hasn't arrived after 2 weeks. Worst delivery ever."
	complaintID = "Paket saya belum sampai udah seminggu, kecewa banget min"
	praiseEN    = "Love the new menu, the spicy chicken is amazing!"
	praiseID    = "Makasih min pesanannya cepet banget nyampe, mantap!"
	questionID  = "Jam buka outlet Sudirman sampai jam berapa ya min?"
)

func newAuditor(t testing.TB, cfg Config) *Auditor {
	t.Helper()
	a, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func check(a store.Audit, name string) (store.AuditCheck, bool) {
	for _, c := range a.Checks {
		if c.Name == name {
			return c, true
		}
	}
	return store.AuditCheck{}, false
}

// TestChecks runs each check on passing and failing replies in English,
// Indonesian and the mix people write.
func TestChecks(t *testing.T) {
	type tc struct {
		check, reply, post string
		pass               bool
		detail             string // a substring of the check's Detail
	}
	tests := map[string]tc{
		// empathy
		"empathy en apology":    {CheckEmpathy, "We're so sorry, please DM us.", complaintEN, true, "sorry"},
		"empathy en understand": {CheckEmpathy, "We understand how frustrating this is. Please DM us.", complaintEN, true, "understand"},
		"empathy id mohon maaf": {CheckEmpathy, "Mohon maaf atas ketidaknyamanannya kak, silakan DM ya.", complaintID, true, "ketidaknyamanan"},
		"empathy id paham":      {CheckEmpathy, "Kami paham kekecewaan Kakak. Silakan DM nomor pesanan.", complaintID, true, "paham"},
		"empathy id slang":      {CheckEmpathy, "Maaaf bgt ya kak 🙏 cek DM ya", complaintID, true, "maaaf"},
		"empathy en missing":    {CheckEmpathy, "Please check the tracking page.", complaintEN, false, "without acknowledging"},
		"empathy id missing":    {CheckEmpathy, "Silakan cek resi di aplikasi ya kak.", complaintID, false, "without acknowledging"},
		"empathy praise":        {CheckEmpathy, "Thank you so much!", praiseEN, true, "not a complaint"},
		"empathy question":      {CheckEmpathy, "Buka jam 10.00-22.00 ya kak 😊", questionID, true, "not a complaint"},

		// ownership
		"ownership en apology":     {CheckOwnership, "Sorry about that, we'll refund you.", complaintEN, true, "sorry"},
		"ownership en admission":   {CheckOwnership, "That's on us. A new pair ships tomorrow.", complaintEN, true, "on us"},
		"ownership id kelalaian":   {CheckOwnership, "Itu kelalaian kami kak, besok kami kirim ulang.", complaintID, true, "kelalaian kami"},
		"ownership en blame":       {CheckOwnership, "Sorry, but you should have read the delivery times.", complaintEN, false, "you should have"},
		"ownership id blame":       {CheckOwnership, "Maaf, itu kesalahan kakak sendiri ya.", complaintID, false, "kesalahan kak"},
		"ownership id berkali":     {CheckOwnership, "Sudah kami jelaskan berkali-kali, bukan salah kami.", complaintID, false, "bukan salah kami"},
		"ownership not your fault": {CheckOwnership, "Ini bukan kesalahan Kakak, sistem kami error. Silakan coba lagi.", complaintID, true, "bukan kesalahan kak"},
		"ownership none":           {CheckOwnership, "We understand. Please DM us.", complaintEN, false, "no apology"},

		// next step
		"next en dm":          {CheckNextStep, "Sorry! Please DM us your order number.", complaintEN, true, "dm"},
		"next en refund when": {CheckNextStep, "Sorry, we'll refund you within 3 days.", complaintEN, true, "refund"},
		"next id hubungi":     {CheckNextStep, "Maaf kak, tim kami akan menghubungi Kakak hari ini.", complaintID, true, "hari ini"},
		"next id dm pesanan":  {CheckNextStep, "Maaf kak, silakan DM nomor pesanan ya.", complaintID, true, "dm"},
		"next id 1x24":        {CheckNextStep, "Maaf kak, kami cek dan kabari 1x24 jam.", complaintID, true, "1x24 jam"},
		"next en vague":       {CheckNextStep, "Sorry, we'll look into it.", complaintEN, false, "vague"},
		"next id vague":       {CheckNextStep, "Maaf kak, akan kami sampaikan ke tim terkait.", complaintID, false, "vague"},
		"next none":           {CheckNextStep, "Sorry to hear that.", complaintEN, false, "no next step"},

		// tone
		"tone calm":             {CheckTone, "Sorry for the trouble, DM us please.", complaintEN, true, "calm"},
		"tone actually":         {CheckTone, "Actually, it was delivered. Sorry, DM us.", complaintEN, false, "actually"},
		"tone as we said":       {CheckTone, "As we said, our lines are busy.", complaintEN, false, "as we said"},
		"tone makanya":          {CheckTone, "Makanya kak, baca dulu dong S&K nya", complaintID, false, "makanya"},
		"tone eye roll":         {CheckTone, "Our drivers are professionals 🙄", complaintEN, false, "🙄"},
		"tone kami tidak salah": {CheckTone, "Kami tidak salah ya kak.", complaintID, false, "kami tidak salah"},
		"tone lol complaint":    {CheckTone, "Works for us lol", complaintEN, false, "lol"},
		"tone haha praise":      {CheckTone, "Hahaha makasih kak! Seneng dengernya", praiseID, true, "calm"},

		// compensation
		"comp voucher id": {CheckCompensation, "Maaf kak, ini voucher 50rb ya.", complaintID, false, "voucher"},
		"comp refund en":  {CheckCompensation, "Sorry, we've refunded you.", complaintEN, false, "refund"},
		"comp cashback":   {CheckCompensation, "Maaf ya kak, cashback 10rb sudah masuk.", complaintID, false, "cashback"},
		"comp negated id": {CheckCompensation, "Maaf kak, refund tidak bisa untuk pesanan ini. Silakan DM.", complaintID, true, "no compensation"},
		"comp negated en": {CheckCompensation, "Sorry, we cannot offer compensation for weather delays. DM us.", complaintEN, true, "no compensation"},
		"comp terms":      {CheckCompensation, "Maaf kak, diskon ongkir hanya berlaku min. belanja 75rb. DM ya.", complaintID, true, "no compensation"},
		"comp none":       {CheckCompensation, "Sorry! DM us.", complaintEN, true, "no compensation"},

		// pii
		"pii phone":       {CheckPII, "Maaf kak, kurir akan telp 0812-3456-7890 besok.", complaintID, false, "phone"},
		"pii address":     {CheckPII, "Sorry! Pickup at 12 Baker Street tomorrow.", complaintEN, false, "address"},
		"pii brand phone": {CheckPII, "Maaf kak, hubungi WA official kami 0811-1500-234 ya.", complaintID, true, "no personal data"},
		"pii none":        {CheckPII, "Sorry, DM us your order number.", complaintEN, true, "no personal data"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			a := newAuditor(t, Config{})
			au := a.Audit(ReplyInput{Text: tc.reply, InReplyTo: tc.post})
			c, ok := check(au, tc.check)
			if !ok {
				t.Fatalf("no %s check in %+v", tc.check, au.Checks)
			}
			if c.Pass != tc.pass {
				t.Errorf("%s pass = %v, want %v (%s)", tc.check, c.Pass, tc.pass, c.Detail)
			}
			if !strings.Contains(strings.ToLower(c.Detail), strings.ToLower(tc.detail)) {
				t.Errorf("%s detail %q does not mention %q", tc.check, c.Detail, tc.detail)
			}
		})
	}
}

func TestResponseTime(t *testing.T) {
	a := newAuditor(t, Config{DefaultTarget: 30 * time.Minute})
	tests := map[string]struct {
		in     ReplyInput
		has    bool
		pass   bool
		detail string
	}{
		"unknown is left out": {ReplyInput{Text: "Sorry, DM us."}, false, false, ""},
		"within target":       {ReplyInput{Text: "Sorry, DM us.", ResponseTime: 20 * time.Minute, Target: time.Hour}, true, true, "replied in 20m, within the 1h target"},
		"past target":         {ReplyInput{Text: "Sorry, DM us.", ResponseTime: 2*time.Hour + 13*time.Minute, Target: time.Hour}, true, false, "replied in 2h13m, 1h13m past the 1h target"},
		"default target":      {ReplyInput{Text: "Sorry, DM us.", ResponseTime: 45 * time.Minute}, true, false, "past the 30m target"},
		"exactly on target":   {ReplyInput{Text: "Sorry, DM us.", ResponseTime: time.Hour, Target: time.Hour}, true, true, "within"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			au := a.Audit(tc.in)
			c, ok := check(au, CheckResponseTime)
			if ok != tc.has {
				t.Fatalf("response_time present = %v, want %v", ok, tc.has)
			}
			if !ok {
				return
			}
			if c.Pass != tc.pass || !strings.Contains(c.Detail, tc.detail) {
				t.Errorf("got %+v, want pass %v and %q", c, tc.pass, tc.detail)
			}
			if au.ResponseTime != tc.in.ResponseTime {
				t.Errorf("Audit.ResponseTime = %v", au.ResponseTime)
			}
		})
	}
}

func TestVerdict(t *testing.T) {
	tests := map[string]struct {
		reply, post string
		want        string
		reasons     []string // substrings, in order
	}{
		"ok en":                      {"We're sorry, we understand how frustrating this is. Please DM us your order number and we'll sort it today. ^RN", complaintEN, VerdictOK, nil},
		"ok id":                      {"Halo Kak, mohon maaf atas ketidaknyamanannya 🙏 Silakan DM nomor pesanannya ya, tim kami akan cek hari ini.", complaintID, VerdictOK, nil},
		"ok praise":                  {"Terima kasih banyak Kak! 😊", praiseID, VerdictOK, nil},
		"attention: no next step":    {"Sorry to hear that.", complaintEN, VerdictNeedsAttention, []string{"no next step"}},
		"attention: compensation":    {"Maaf kak, voucher 20rb sudah kami kirim ke akun Kakak hari ini.", complaintID, VerdictNeedsAttention, []string{"compensation"}},
		"attention: defensive":       {"Actually, sorry, please DM us.", complaintEN, VerdictNeedsAttention, []string{"defensive"}},
		"violation: pii":             {"Maaf kak, kurir akan telp 0812-3456-7890 besok.", complaintID, VerdictViolation, []string{"personal data"}},
		"violation: blame":           {"Maaf, itu kesalahan kakak sendiri. Silakan DM.", complaintID, VerdictViolation, []string{"blames", "hostile"}},
		"violation: mockery":         {"Have you tried turning it off and on again? 😂", complaintEN, VerdictViolation, []string{"hostile", "without acknowledging"}},
		"violation before attention": {"Sorry, order #98231774 ships... lol", complaintEN, VerdictViolation, []string{"hostile", "personal data", "vague"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			a := newAuditor(t, Config{})
			res := a.Check(ReplyInput{Text: tc.reply, InReplyTo: tc.post})
			if res.Audit.Verdict != tc.want {
				t.Fatalf("verdict %s, want %s; reasons %q", res.Audit.Verdict, tc.want, res.Reasons)
			}
			if tc.want == VerdictOK && len(res.Reasons) != 0 {
				t.Errorf("ok with reasons %q", res.Reasons)
			}
			i := 0
			for _, want := range tc.reasons {
				for i < len(res.Reasons) && !strings.Contains(res.Reasons[i], want) {
					i++
				}
				if i == len(res.Reasons) {
					t.Errorf("reasons %q lack %q in order %q", res.Reasons, want, tc.reasons)
					break
				}
			}
			if got := Reasons(res.Audit); len(got) != len(res.Reasons) {
				t.Errorf("Reasons(audit) = %q, Result.Reasons = %q", got, res.Reasons)
			}
		})
	}
}

// TestReplyUnmodified: the audit reads the reply; masking is separate.
func TestReplyUnmodified(t *testing.T) {
	a := newAuditor(t, Config{})
	text := "Maaf kak, kurir akan telp 0812-3456-7890 besok."
	in := ReplyInput{Text: text}
	res := a.Check(in)
	if in.Text != text {
		t.Fatal("reply modified")
	}
	if len(res.PII) != 1 || text[res.PII[0].Start:res.PII[0].End] != "0812-3456-7890" {
		t.Fatalf("PII %+v", res.PII)
	}
}

func TestComplaintContext(t *testing.T) {
	yes, no := true, false
	a := newAuditor(t, Config{})
	reply := "Terima kasih kak!"
	tests := map[string]struct {
		in   ReplyInput
		want bool
	}{
		"post complaint en": {ReplyInput{Text: reply, InReplyTo: complaintEN}, true},
		"post complaint id": {ReplyInput{Text: reply, InReplyTo: complaintID}, true},
		"post praise":       {ReplyInput{Text: reply, InReplyTo: praiseID}, false},
		"post question":     {ReplyInput{Text: reply, InReplyTo: questionID}, false},
		"negated complaint": {ReplyInput{Text: reply, InReplyTo: "Udah 5 tahun langganan gak pernah kecewa, mantap!"}, false},
		"plain statement":   {ReplyInput{Text: reply, InReplyTo: "Pesanan saya datang cuma setengah"}, true},
		"unknown, thanks":   {ReplyInput{Text: reply}, false},
		"unknown, apology":  {ReplyInput{Text: "Maaf kak, DM ya"}, true},
		"override no":       {ReplyInput{Text: reply, InReplyTo: complaintEN, Complaint: &no}, false},
		"override yes":      {ReplyInput{Text: reply, InReplyTo: praiseEN, Complaint: &yes}, true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := a.Check(tc.in).Complaint; got != tc.want {
				t.Errorf("Complaint = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestCanned(t *testing.T) {
	const tmpl = "Mohon maaf atas ketidaknyamanannya Kak. Silakan DM kami untuk info lebih lanjut ya."
	t.Run("third recipient", func(t *testing.T) {
		a := newAuditor(t, Config{})
		var got []bool
		// handles, spacing, emoji and signatures do not make a reply new
		for i, text := range []string{tmpl, "@budi " + tmpl, tmpl + " 🙏 ^RN", "  " + strings.ReplaceAll(tmpl, " ", "  ")} {
			c, _ := check(a.Audit(ReplyInput{Text: text, InReplyTo: complaintID, Recipient: fmt.Sprint("@c", i)}), CheckCanned)
			got = append(got, c.Pass)
		}
		if fmt.Sprint(got) != "[true true false false]" {
			t.Errorf("canned pass per reply = %v, want [true true false false]", got)
		}
	})
	t.Run("same recipient again does not count", func(t *testing.T) {
		a := newAuditor(t, Config{})
		for range 5 {
			c, _ := check(a.Audit(ReplyInput{Text: tmpl, Recipient: "@ani"}), CheckCanned)
			if !c.Pass {
				t.Fatalf("re-auditing one reply made it canned: %s", c.Detail)
			}
		}
		a.Audit(ReplyInput{Text: tmpl, Recipient: "@budi"})
		c, _ := check(a.Audit(ReplyInput{Text: tmpl, Recipient: "@cici"}), CheckCanned)
		if c.Pass || !strings.Contains(c.Detail, "3 customers") {
			t.Errorf("third distinct recipient: %+v", c)
		}
	})
	t.Run("unknown recipients each count", func(t *testing.T) {
		a := newAuditor(t, Config{CannedAfter: 2})
		a.Audit(ReplyInput{Text: tmpl})
		if c, _ := check(a.Audit(ReplyInput{Text: tmpl}), CheckCanned); c.Pass {
			t.Error("second anonymous send should be canned with CannedAfter 2")
		}
	})
	t.Run("short replies are never canned", func(t *testing.T) {
		a := newAuditor(t, Config{})
		for i := range 10 {
			if c, _ := check(a.Audit(ReplyInput{Text: "Terima kasih kak!", Recipient: fmt.Sprint(i)}), CheckCanned); !c.Pass {
				t.Fatal("a thank-you became canned")
			}
		}
	})
	t.Run("memory is bounded and forgets the oldest", func(t *testing.T) {
		a := newAuditor(t, Config{CannedMemory: 2})
		a.Audit(ReplyInput{Text: tmpl, Recipient: "a"})
		a.Audit(ReplyInput{Text: tmpl, Recipient: "b"})
		a.Audit(ReplyInput{Text: "We are sorry, please DM us your order number.", Recipient: "x"})
		a.Audit(ReplyInput{Text: "Maaf kak, tim kami akan menghubungi Kakak hari ini.", Recipient: "y"})
		// tmpl was pushed out: it starts counting again
		if c, _ := check(a.Audit(ReplyInput{Text: tmpl, Recipient: "c"}), CheckCanned); !c.Pass {
			t.Errorf("evicted template still counted: %s", c.Detail)
		}
		if n := len(a.canned.idx); n != 2 {
			t.Errorf("memory holds %d replies, want 2", n)
		}
	})
}

func TestCannedMemoryLRU(t *testing.T) {
	m := newCannedMemory(3)
	for k := uint64(1); k <= 3; k++ {
		m.observe(k, 0)
	}
	m.observe(1, 0) // 1 is now the most recent; 2 the oldest
	m.observe(4, 0) // evicts 2
	if _, ok := m.idx[2]; ok {
		t.Error("2 should have been evicted")
	}
	for _, k := range []uint64{1, 3, 4} {
		if _, ok := m.idx[k]; !ok {
			t.Errorf("%d evicted", k)
		}
	}
	if n := m.observe(1, 0); n != 3 {
		t.Errorf("1 seen %d times, want 3", n)
	}
	// walk the list both ways
	var fwd []uint64
	for i := m.head; i >= 0; i = m.ents[i].next {
		fwd = append(fwd, m.ents[i].key)
	}
	var back []uint64
	for i := m.tail; i >= 0; i = m.ents[i].prev {
		back = append(back, m.ents[i].key)
	}
	if fmt.Sprint(fwd) != "[1 4 3]" || fmt.Sprint(back) != "[3 4 1]" {
		t.Errorf("list %v / %v", fwd, back)
	}
}

func TestSignature(t *testing.T) {
	tests := map[string]struct {
		text, want string
	}{
		"caret":           {"Sorry! DM us. ^RN", "RN"},
		"caret emoji":     {"Maaf kak 🙏 ^AN 🙏", "AN"},
		"dash":            {"We'll refund within 3 days. -Dina", "Dina"},
		"dash spaced":     {"Kami kirim besok ya. - Dina", "Dina"},
		"tilde":           {"Tim kami hubungi hari ini. ~Budi", "Budi"},
		"en dash":         {"Email coming today. – Theo", "Theo"},
		"salam":           {"Mohon maaf ya kak. Salam, Rina", "Rina"},
		"salam hangat":    {"Kami bantu hari ini. Salam hangat, Rina", "Rina"},
		"best":            {"A replacement ships tomorrow. Best, Rina", "Rina"},
		"regards newline": {"We'll call you today.\nRegards,\nTom", "Tom"},
		"two words":       {"Sorry! -Rina S", "Rina S"},
		"none":            {"Terima kasih kak!", ""},
		"honorific":       {"Terima kasih, Kak", ""},
		"dash honorific":  {"Makasih ya - kak", ""},
		"range":           {"Estimasi 3-5 hari", ""},
		"reduplication":   {"Di kami aman-aman", ""},
		"lowercase":       {"ok -dina", ""},
		"dash mid-text":   {"Sorry - we will send it tomorrow and call you", ""},
		"url":             {"cek https://kilat.example/outlet ya", ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, at := Signature(tc.text)
			if got != tc.want {
				t.Fatalf("Signature(%q) = %q, want %q", tc.text, got, tc.want)
			}
			if got == "" && at != -1 || got != "" && (at < 0 || !strings.Contains(tc.text[at:], got)) {
				t.Errorf("offset %d for %q in %q", at, got, tc.text)
			}
		})
	}
	a := newAuditor(t, Config{})
	if s := a.Audit(ReplyInput{Text: "Sorry! DM us. ^RN"}).Signature; s != "RN" {
		t.Errorf("Audit.Signature = %q", s)
	}
}

func TestBrandContacts(t *testing.T) {
	a := newAuditor(t, Config{BrandContacts: []string{"+62 812-1111-2222", "Halo@Kilat.example"}})
	res := a.Check(ReplyInput{Text: "Maaf kak, silakan WA 0812 1111 2222 atau email halo@kilat.example, atau kakak di 0812-3456-7890?"})
	if len(res.PII) != 1 || res.PII[0].Kind != KindPhone {
		t.Fatalf("PII %+v, want only the customer's phone", res.PII)
	}
}

func TestConfigValidate(t *testing.T) {
	for name, cfg := range map[string]Config{
		"negative target": {DefaultTarget: -time.Second},
		"canned too big":  {CannedAfter: 17},
		"negative memory": {CannedMemory: -1},
		"negative words":  {CannedMinWords: -1},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	err := Config{DefaultTarget: -1, CannedAfter: -1}.Validate()
	if err == nil || !strings.Contains(err.Error(), "default_target") || !strings.Contains(err.Error(), "canned_after") {
		t.Errorf("Validate should report every bad field: %v", err)
	}
}

// TestConcurrent: one Auditor serves the pipeline's goroutines (run with
// -race).
func TestConcurrent(t *testing.T) {
	a := newAuditor(t, Config{CannedMemory: 8})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				a.Check(ReplyInput{Text: fmt.Sprintf("Maaf kak %d, DM kami ya untuk info lebih lanjut %d", i%5, g), InReplyTo: complaintID, Recipient: fmt.Sprint(g, i)})
			}
		}()
	}
	wg.Wait()
}

func FuzzAudit(f *testing.F) {
	for _, s := range []string{"Maaf kak ^RN", "lol 🙄", "@x https://a.b/c?resi=JP123456789 0812-3456-7890", "-", "^", "Salam,\n", "\xff"} {
		f.Add(s, "kecewa")
	}
	a, _ := New(Config{})
	f.Fuzz(func(t *testing.T, reply, post string) {
		res := a.Check(ReplyInput{Text: reply, InReplyTo: post})
		if res.Audit.Verdict == "" || len(res.Audit.Checks) < 7 {
			t.Fatalf("incomplete audit %+v", res.Audit)
		}
	})
}
