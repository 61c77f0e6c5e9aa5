//! The operator tool: creates and lists tenants, against the local data folder or AWS
//! (the same variables a deployed function reads; `AWS_ENDPOINT_URL` points it at moto).
//!
//!     selfcare-admin tenant create --kind retail --name "Acme Telecom" --slug acme
//!     selfcare-admin --aws tenant list
//!     selfcare-admin staff invite --tenant acme --email ops@acme.example --name "Ops Lead"
//!     selfcare-admin onboard --check --file infra/onboarding/staging.json --file ...
//!     selfcare-admin --aws onboard --deployment pool --file infra/onboarding/staging.json

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};
use selfcare::domain::identity::Permission;
use selfcare::domain::identity::credentials::StaffInvitation;
use selfcare::domain::onboarding::{self, OnboardingFile};
use selfcare::domain::paging::PageRequest;
use selfcare::domain::tenancy::{NewTenant, Tenant, TenantKind};
use selfcare_aws::AwsConfig;
use selfcare_embedded::LocalPlatform;

#[derive(Parser)]
#[command(about = "Operate a selfcare installation")]
struct Args {
    /// Use the AWS adapters (SELFCARE_TABLE, SELFCARE_*_BUCKET, SELFCARE_CURSOR_KEY or
    /// SELFCARE_CURSOR_KEY_SECRET, the same for the sealing key).
    #[arg(long)]
    aws: bool,
    /// The local runtime's data folder (without --aws).
    #[arg(long, env = "SELFCARE_DATA_DIR", default_value = ".data/local")]
    data_dir: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Tenants: wholesale and retail providers.
    #[command(subcommand)]
    Tenant(TenantCommand),
    /// A tenant's staff: its first staff member comes from here.
    #[command(subcommand)]
    Staff(StaffCommand),
    /// Create the table as the template declares it (for moto; deployed stacks have theirs).
    InitTable,
    /// Applies reviewed onboarding files (infra/onboarding/*.json): providers, wholesaler
    /// links, domains, first staff members. Applying a file again changes nothing.
    Onboard {
        /// The files; with --check, every file of every deployment, checked together.
        #[arg(long, required = true)]
        file: Vec<PathBuf>,
        /// Check the files only (no stack needed; nothing is written).
        #[arg(long)]
        check: bool,
        /// The deployment this stack is (its template's `Deployment` parameter).
        #[arg(long, default_value = "pool")]
        deployment: String,
    },
}

fn read_onboarding(
    files: &[PathBuf],
) -> Result<Vec<(String, OnboardingFile)>, Box<dyn std::error::Error>> {
    files
        .iter()
        .map(|path| {
            let text =
                std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
            let file =
                serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
            Ok((path.display().to_string(), file))
        })
        .collect()
}

#[derive(Clone, Copy, ValueEnum)]
enum Kind {
    Wholesale,
    Retail,
}

#[derive(Subcommand)]
enum TenantCommand {
    Create {
        #[arg(long, value_enum)]
        kind: Kind,
        #[arg(long)]
        name: String,
        #[arg(long)]
        slug: String,
        /// The wholesaler a retail provider buys through.
        #[arg(long)]
        wholesaler: Option<String>,
    },
    List,
    /// Maps a domain of the provider's own to its portal (its DNS and certificate are set
    /// up in API Gateway's custom domains, outside this tool), or removes the mapping.
    Domain {
        /// The tenant's slug.
        #[arg(long)]
        tenant: String,
        /// The host name, for example portal.acme.com.
        #[arg(long, required_unless_present = "clear")]
        domain: Option<String>,
        #[arg(long, conflicts_with = "domain")]
        clear: bool,
    },
}

#[derive(Subcommand)]
enum StaffCommand {
    /// Sends a credential-create email (through the outbox) to a new staff member with
    /// every permission; they choose their own username and password from its link.
    Invite {
        /// The tenant's slug.
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
    },
}

fn show(tenant: &Tenant) -> String {
    let kind = match tenant.kind {
        TenantKind::Wholesale => "wholesale",
        TenantKind::Retail => "retail",
    };
    let wholesaler = tenant
        .wholesaler
        .map(|w| w.to_string())
        .unwrap_or_else(|| "-".into());
    format!(
        "{}\t{kind}\t{}\t{}\t{wholesaler}",
        tenant.id, tenant.slug, tenant.name
    )
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run(Args::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    if let Command::Onboard {
        file, check: true, ..
    } = &args.command
    {
        let files = read_onboarding(file)?;
        let problems = onboarding::check(&files);
        if !problems.is_empty() {
            return Err(onboarding::OnboardingError::Refused(problems).into());
        }
        println!("{} onboarding files are sound", files.len());
        return Ok(());
    }
    let platform = if args.aws {
        selfcare_aws::configured_platform().await?.platform
    } else {
        LocalPlatform::open(&args.data_dir, "http://127.0.0.1:3000", None)
            .map_err(|e| {
                format!(
                    "{e} (the local runtime holds the data folder while it runs: stop it first)"
                )
            })?
            .platform
    };
    match args.command {
        Command::InitTable => {
            let sdk = selfcare_aws::sdk_config().await;
            let config = AwsConfig::load(&sdk).await?;
            selfcare_aws::ensure_table(&aws_sdk_dynamodb::Client::new(&sdk), &config.table).await?;
            println!("table {} is ready", config.table);
        }
        Command::Tenant(TenantCommand::Create {
            kind,
            name,
            slug,
            wholesaler,
        }) => {
            let tenant = platform
                .tenants()
                .create(NewTenant {
                    kind: match kind {
                        Kind::Wholesale => TenantKind::Wholesale,
                        Kind::Retail => TenantKind::Retail,
                    },
                    name,
                    slug,
                    wholesaler: wholesaler.map(|w| w.parse()).transpose()?,
                })
                .await?;
            println!("{}", show(&tenant));
        }
        Command::Staff(StaffCommand::Invite {
            tenant,
            email,
            name,
        }) => {
            let tenant = platform.tenants().by_slug(&tenant).await?;
            let expires = platform
                .identity()
                .credentials
                .invite_staff(
                    &tenant.id,
                    StaffInvitation {
                        email: email.clone(),
                        name,
                        permissions: Permission::ALL.into_iter().collect(),
                        groups: None,
                        language: None,
                    },
                    None,
                )
                .await?;
            println!(
                "a credential-create email to {email} is in {}'s outbox; its link expires {expires}",
                tenant.slug
            );
        }
        Command::Tenant(TenantCommand::Domain {
            tenant,
            domain,
            clear: _,
        }) => {
            let tenants = platform.tenants();
            let tenant = tenants.by_slug(&tenant).await?;
            let tenant = tenants
                .set_custom_domain(&tenant.id, domain.as_deref())
                .await?;
            match &tenant.custom_domain {
                Some(domain) => println!("{}'s portal answers at {domain} too", tenant.slug),
                None => println!("{} has no domain of its own", tenant.slug),
            }
        }
        Command::Onboard {
            file, deployment, ..
        } => {
            for (name, file) in read_onboarding(&file)? {
                println!("== {name}");
                let done = onboarding::apply(
                    platform.table.as_ref(),
                    &platform.tenants(),
                    &platform.identity(),
                    &deployment,
                    &file,
                )
                .await?;
                for line in done {
                    println!("{line}");
                }
            }
        }
        Command::Tenant(TenantCommand::List) => {
            let tenants = platform.tenants();
            let mut cursor = None;
            loop {
                let page = tenants.list(&PageRequest::after(100, cursor)).await?;
                for tenant in &page.items {
                    println!("{}", show(tenant));
                }
                cursor = page.next_cursor;
                if cursor.is_none() {
                    break;
                }
            }
        }
    }
    Ok(())
}
