package pipeline

import "testing"

func TestWelcomeEmailLine(t *testing.T) {
	t.Parallel()
	tests := []struct {
		n    int
		send bool
		want string
	}{
		{0, true, ""},
		{1, false, "1 user will be created; no activation email is sent (welcome_email: false)"},
		{1600, false, "1,600 users will be created; no activation email is sent (welcome_email: false)"},
		{1234567, true, "1,234,567 users will be created; an activation email is sent to each (welcome_email: true)"},
	}
	for _, tt := range tests {
		if got := WelcomeEmailLine(tt.n, tt.send); got != tt.want {
			t.Errorf("WelcomeEmailLine(%d, %v) = %q, want %q", tt.n, tt.send, got, tt.want)
		}
	}
}
