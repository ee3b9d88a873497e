//! The examples that end each command's `--help`: two or three command lines for the jobs
//! people come with. A test (`tests/newcomer.rs`) runs every one of them, as printed, against
//! a local server, so they stay true.

pub const PLAN: &str = "\
Examples:
  cognito-bulk plan users.csv --user-pool-id us-east-1_AbCdEf123
  cognito-bulk plan users.csv --user-pool-id us-east-1_AbCdEf123 --out review.plan --markdown review.md --redact
  cognito-bulk plan crm.csv --user-pool-id us-east-1_AbCdEf123 --key-column email --match email --set 'custom:plan={{ row.plan | lower }}'";

pub const APPLY: &str = "\
Examples:
  cognito-bulk apply users.csv --user-pool-id us-east-1_AbCdEf123
  cognito-bulk apply --plan users.csv.plan --user-pool-id us-east-1_AbCdEf123
  cognito-bulk apply --user-pool-id us-east-1_AbCdEf123 --set 'custom:tenant={{ email | domain | lower }}' --where 'custom.tenant is not defined and email is defined' --yes";

pub const REPORT: &str = "\
Examples:
  cognito-bulk report users.csv.journal
  cognito-bulk report users.csv.journal --html run.html";

pub const EXPORT: &str = "\
Examples:
  cognito-bulk export --user-pool-id us-east-1_AbCdEf123 --output backup.jsonl
  cognito-bulk export --user-pool-id us-east-1_AbCdEf123 --output - --format csv --attributes email,custom:tenant";

pub const ROLLBACK: &str = "\
Examples:
  cognito-bulk rollback users.csv.journal --dry-run
  cognito-bulk rollback users.csv.journal --yes";

pub const COMPLETIONS: &str = "\
Examples:
  cognito-bulk completions bash > ~/.local/share/bash-completion/completions/cognito-bulk
  cognito-bulk completions zsh > ~/.zfunc/_cognito-bulk";
