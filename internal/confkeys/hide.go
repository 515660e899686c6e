package confkeys

import "github.com/secaudit/otelcol-audit/internal/httpapi"

// HideSecrets returns err with every value of secrets (the configuration's credentials)
// replaced, in any form it could take in the text: a validation error may quote any setting,
// and a credential pasted into the wrong one must not reach the screen or the log.
func HideSecrets(err error, secrets []string) error {
	if err == nil {
		return nil
	}
	return httpapi.NewSecrets(secrets...).Err(err)
}
