package alerting

import (
	"fmt"
	"testing"
)

func TestProbe(t *testing.T) {
	s := NewTextScorer()
	for _, x := range []string{
		"@kilat udh 3 hari paket blm nyampe, kecewa bgt min. resi KX123 gak gerak sama sekali",
		"min?? kok gak dibales sih",
		"still no answer??",
		"hello???",
		"any update on my refund?",
		"Mohon maaf atas ketidaknyamanannya kak 🙏 Boleh DM nomor resinya? Kami bantu cek segera.",
		"Hi Sari, so sorry about that! We've sent a replacement today.",
		"Sorry about this! Please send us a DM with your order number and we'll sort it out.",
		"Halo kak, sudah kami balas via DM ya",
		"VIRALKAN!!! jangan beli di sini, PENIPU semua",
		"saya laporkan ke YLKI dan OJK, biar viral sekalian",
		"I'll take this to the press and my lawyer",
		"my parcel arrived damaged and the box was soaking wet, really disappointed",
		"mantap, kurir kilat ramah banget 👍",
		"what time do you open on Sunday?",
		"kapan promo berikutnya?",
		"sedih banget paketnya hilang 😭",
		"gak ada yang bales dari kemarin",
	} {
		a := s.Analyze(x, "")
		fmt.Printf("%-60.60q lang=%s c=%.2f sev=%d ar=%.2f thr=%v fu=%v pr=%v ev=%v\n", x, a.Lang, a.Complaint, a.Severity, a.Arousal, a.Threats, a.FollowUp, a.Private, a.Evidence)
	}
}
