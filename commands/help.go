package commands

import (
	"fmt"
	"strings"

	"github.com/adjc/adjc/config"
	"github.com/spf13/cobra"
)

// helpTopics are commands without Run: cobra lists them under "Additional
// help topics" and `adjc help <topic>` prints their Long text.
func helpTopics() []*cobra.Command {
	topic := func(name, short, long string) *cobra.Command {
		return &cobra.Command{
			Use:   name,
			Short: short,
			Long:  long,
			// Print the text only: no usage or flags for a topic.
			Run: nil,
		}
	}
	return []*cobra.Command{
		topic("environment", "Environment variables adjc reads", environmentHelp()),
		topic("exit-codes", "What adjc's exit statuses mean", exitCodesHelp),
		topic("config-file", "The configuration file, key by key", configFileHelp),
	}
}

func environmentHelp() string {
	var b strings.Builder
	b.WriteString(`adjc reads these variables. A flag beats its variable, a variable beats the
config file, the file beats the default. Empty variables count as unset.
Domain-level variables (LDAP URL to mode) apply to the domain chosen with
--domain, to the only domain in the file, or describe the single domain when
there is no file.

`)
	vars := config.Environment()
	width := 0
	for _, v := range vars {
		width = max(width, len(v.Name))
	}
	for _, v := range vars {
		fmt.Fprintf(&b, "  %-*s  %s\n", width, v.Name, v.Help)
	}
	fmt.Fprintf(&b, `
Colour on stdout (decided once, at start):
  %-*s  any non-empty value turns colour off (https://no-color.org)
  %-*s  0 turns colour off
  %-*s  any value but 0 turns colour on even when stdout is not a terminal

Secrets are never taken from flags: use a *_FILE variable or --*-file flag
(- reads stdin), the variable holding the secret itself, or answer the prompt
on a terminal. A secret file that group or others can read is refused.
`, width, "NO_COLOR", width, "CLICOLOR", width, "CLICOLOR_FORCE")
	return b.String()
}

const exitCodesHelp = `adjc exits with:

  0    success; for 'diff', no changes
  1    failure: any error not listed below
  2    usage: a bad flag, argument or configuration value (nothing was done)
  3    partial: changes were applied but some of them failed
  4    authentication: JumpCloud or Active Directory rejected the credentials
  8    changes pending: 'diff --detailed-exitcode' found changes to make
  130  interrupted (Ctrl-C or SIGTERM)

Errors are printed on stderr as "adjc: error: …", sometimes followed by
"adjc: hint: …".
`

const configFileHelp = `adjc reads a YAML file: --config, else $ADJC_CONFIG, else
$XDG_CONFIG_HOME/adjc/config.yaml (~/.config/adjc/config.yaml) when it exists.
Unknown keys are errors. Every key is optional unless marked; values from
ADJC_* variables and flags override the file ('adjc help environment').
'adjc config show' prints the result and where each value came from.

  jumpcloud:
    api_url: https://console.jumpcloud.com/api  # or region: us | eu | in, not both
    org_id: ""                  # 24 hex digits; only for multi-tenant keys
    api_key_file: /path         # secret file (mode 0600); or ADJC_JC_API_KEY
  domains:                      # one or more Active Directory domains
    - name: example.com         # default: from base_dn's DC= parts
      mode: two-way             # ad-authority | two-way | jc-authority
      ldap_url: ldaps://dc.example.com:636                   # required
      base_dn: DC=example,DC=com                             # required
      root_container: CN=Users,DC=example,DC=com             # default CN=Users,<base_dn>
      bind: svc@example.com     # required: UPN, DN or DOMAIN\user
      bind_password_file: /path # secret file (mode 0600); or ADJC_BIND_PASSWORD
      import_bind: ""           # optional: import's own account (read-only), else bind
      import_bind_password_file: /path
      sync_bind: ""             # optional: sync's own account (delegated), else bind
      sync_bind_password_file: /path
      ca_file: /path/ca.pem     # CA of the domain controller's certificate
      start_tls: false          # ldap:// upgraded with StartTLS, verified like LDAPS
      allow_plaintext: false    # permit ldap:// without TLS: the password in clear
      jumpcloud_group: JumpCloud
      admins_group: JumpCloud Admins
      username_attribute: sAMAccountName
      jumpcloud_domain_id: ""   # 24 hex digits: the JumpCloud AD domain object
  state_dir: /path              # default $XDG_STATE_HOME/adjc
  audit_log: /path              # default <state_dir>/audit.jsonl
  ha:                           # several 'schedule' processes per domain, one leader
    etcd:                       # HA is off while endpoints is empty
      endpoints: [https://etcd1:2379, https://etcd2:2379]
      ca_file: /path/ca.pem     # CA of the etcd servers' certificates
      cert_file: /path          # client certificate, with key_file
      key_file: /path
      prefix: /adjc             # prefix of adjc's keys
      lease_ttl: 10s            # a silent leader is replaced within about this

Secrets do not belong in this file: it names files that hold them.
`
