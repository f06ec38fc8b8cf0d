package ldapx
