package alerting

import "testing"

func TestCues(t *testing.T) {
	cases := map[string]struct {
		text              string
		followUp, private bool
	}{
		// Follow-ups, Indonesian.
		"id min??":               {text: "min??", followUp: true},
		"id halo kak":            {text: "halo kak?", followUp: true},
		"id kok gak dibales":     {text: "min?? kok gak dibales sih", followUp: true},
		"id belum ada respon":    {text: "udah 2 jam belum ada respon juga", followUp: true},
		"id gak ada yang bales":  {text: "gak ada yang bales dari kemarin", followUp: true},
		"id ditunggu balasannya": {text: "ditunggu balasannya ya min", followUp: true},
		"id dicuekin":            {text: "dicuekin terus nih", followUp: true},
		"id up":                  {text: "up", followUp: true},
		"id p":                   {text: "p", followUp: true},
		// Follow-ups, English.
		"en still no answer": {text: "still no answer??", followUp: true},
		// Private is only read on the brand's own replies; on a customer's
		// post it just says a private channel was named.
		"en no reply yet":  {text: "emailed you twice and no reply yet", followUp: true, private: true},
		"en any update":    {text: "any update on my refund?", followUp: true},
		"en hello???":      {text: "hello???", followUp: true},
		"en anyone there":  {text: "is anyone there? been a day", followUp: true},
		"en haven't heard": {text: "haven't heard back since Monday", followUp: true},
		"only marks":       {text: "???", followUp: true},
		// Not follow-ups.
		"id first complaint": {text: "udh 3 hari paket blm nyampe, kecewa bgt min"},
		"id question":        {text: "kapan promo berikutnya?"},
		"en complaint":       {text: "my parcel arrived damaged, really disappointed"},
		"en praise":          {text: "thanks, the support team was great!"},
		"one exclamation":    {text: "!"},
		"greeting then text": {text: "hello, my order is missing a charger"},

		// Private channels, brand replies.
		"id dm":             {text: "Mohon maaf atas ketidaknyamanannya kak 🙏 Boleh DM nomor resinya?", private: true},
		"id cek dm":         {text: "Halo kak, sudah kami balas via DM ya", private: true},
		"id japri":          {text: "Boleh japri kak, kami bantu", private: true},
		"id whatsapp":       {text: "Silakan hubungi kami lewat WhatsApp 0812-xxx ya kak", private: true},
		"id pesan pribadi":  {text: "kami kirim pesan pribadi ya kak", private: true},
		"en dm us":          {text: "Sorry about this! Please send us a DM with your order number.", private: true},
		"en email":          {text: "We've emailed you about the refund.", private: true},
		"en direct message": {text: "Could you send us a direct message?", private: true},
		"en contact us":     {text: "Please contact us at help@example.com", private: true},
		"en public answer":  {text: "Hi Sari, so sorry about that! We've sent a replacement today."},
		"id public answer":  {text: "Mohon maaf kak, paketnya sudah kami kirim ulang hari ini."},
	}
	s := NewTextScorer()
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			a := s.Analyze(tc.text, "")
			if a.FollowUp != tc.followUp || a.Private != tc.private {
				t.Errorf("%q: FollowUp %v Private %v, want %v %v", tc.text, a.FollowUp, a.Private, tc.followUp, tc.private)
			}
		})
	}
}
