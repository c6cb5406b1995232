using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace ChatGateway.Gateway.Store;

/// <summary>
/// The system of record, on SQLite (the embedded default) or PostgreSQL (<see cref="StoreOptions.Provider"/>).
/// One model for both; each engine has its own migrations (SQLite's with this type, PostgreSQL's with
/// <see cref="PostgreSqlGatewayDbContext"/>), and the few hand-written statements go through <see cref="StoreDialect"/>.
/// </summary>
internal class GatewayDbContext : DbContext
{
    public GatewayDbContext(DbContextOptions<GatewayDbContext> options)
        : base(options)
    {
    }

    /// <summary>For <see cref="PostgreSqlGatewayDbContext"/>, whose migrations are its own.</summary>
    protected GatewayDbContext(DbContextOptions options)
        : base(options)
    {
    }

    public DbSet<Contact> Contacts => Set<Contact>();
    public DbSet<ChannelIdentity> ChannelIdentities => Set<ChannelIdentity>();
    public DbSet<Conversation> Conversations => Set<Conversation>();
    public DbSet<Message> Messages => Set<Message>();
    public DbSet<Agent> Agents => Set<Agent>();
    public DbSet<InboundHead> InboundHeads => Set<InboundHead>();
    public DbSet<ContactMerge> ContactMerges => Set<ContactMerge>();
    public DbSet<ContactLabel> ContactLabels => Set<ContactLabel>();
    public DbSet<ContactGroup> ContactGroups => Set<ContactGroup>();
    public DbSet<ContactGroupMember> ContactGroupMembers => Set<ContactGroupMember>();
    public DbSet<ContactNote> ContactNotes => Set<ContactNote>();
    public DbSet<AgentSession> AgentSessions => Set<AgentSession>();
    public DbSet<GatewayKey> GatewayKeys => Set<GatewayKey>();
    public DbSet<Order> Orders => Set<Order>();
    public DbSet<OrderEventRecord> OrderEvents => Set<OrderEventRecord>();
    public DbSet<FollowUp> FollowUps => Set<FollowUp>();
    public DbSet<MessageContent> MessageContents => Set<MessageContent>();
    public DbSet<ReplyContextEntry> ReplyContexts => Set<ReplyContextEntry>();
    public DbSet<Attachment> Attachments => Set<Attachment>();
    public DbSet<ChannelStateEntry> ChannelStates => Set<ChannelStateEntry>();
    public DbSet<ChannelLeaseEntry> ChannelLeases => Set<ChannelLeaseEntry>();
    public DbSet<CannedReply> CannedReplies => Set<CannedReply>();
    public DbSet<CannedReplyAttachment> CannedReplyAttachments => Set<CannedReplyAttachment>();
    public DbSet<ReplyOverride> ReplyOverrides => Set<ReplyOverride>();
    public DbSet<Webhooks.WebhookSubscription> WebhookSubscriptions => Set<Webhooks.WebhookSubscription>();
    public DbSet<Webhooks.WebhookEvent> WebhookEvents => Set<Webhooks.WebhookEvent>();
    public DbSet<Webhooks.WebhookDelivery> WebhookDeliveries => Set<Webhooks.WebhookDelivery>();

    public override int SaveChanges(bool acceptAllChangesOnSuccess)
    {
        KeepProviderKeys();
        return base.SaveChanges(acceptAllChangesOnSuccess);
    }

    public override Task<int> SaveChangesAsync(bool acceptAllChangesOnSuccess, CancellationToken cancellationToken = default)
    {
        KeepProviderKeys();
        return base.SaveChangesAsync(acceptAllChangesOnSuccess, cancellationToken);
    }

    /// <summary>
    /// Every message written with a provider id gets its key (see <see cref="Message.KeyOf"/>); a new outbound one, while
    /// traces are on, the trace context it was written in (<see cref="Message.TraceParent"/>).
    /// </summary>
    private void KeepProviderKeys()
    {
        foreach (var entry in ChangeTracker.Entries<Message>())
        {
            if (entry.State is EntityState.Added or EntityState.Modified)
            {
                var m = entry.Entity;
                if (entry.State == EntityState.Added && m.Direction == MessageDirection.Out && m.TraceParent is null)
                {
                    m.TraceParent = Telemetry.GatewayTracing.Current().TraceParent;
                }

                var key = m.ProviderMessageId is null ? (long?)null : Message.KeyOf(m.InstanceId, m.Direction, m.ProviderMessageId);
                if (m.ProviderKey != key)
                {
                    m.ProviderKey = key;
                }
            }
        }
    }

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        // Stored as a sortable integer on every provider (SQLite cannot order DateTimeOffset columns).
        configurationBuilder.Properties<DateTimeOffset>().HaveConversion<DateTimeOffsetToBinaryConverter>();
        configurationBuilder.Properties<string>().HaveMaxLength(4000);
    }

    protected override void OnModelCreating(ModelBuilder b)
    {
        Webhooks.WebhookModel.Configure(b);
        b.Entity<Contact>(e =>
        {
            // One contact per verified phone and per verified email, whichever instance sees it first (a merged-away
            // contact keeps its row and its keys, outside the constraint). The inbound writer relies on it.
            e.HasIndex(x => x.Phone).IsUnique().HasFilter("\"Phone\" IS NOT NULL AND \"MergedIntoId\" IS NULL");
            e.HasIndex(x => x.Email).IsUnique().HasFilter("\"Email\" IS NOT NULL AND \"MergedIntoId\" IS NULL");
            e.Property(x => x.Phone).HasMaxLength(32);
            e.Property(x => x.Email).HasMaxLength(320);
            e.Property(x => x.DisplayName).HasMaxLength(200);
            e.Property(x => x.DeclaredName).HasMaxLength(200);
            e.Property(x => x.DeclaredPhone).HasMaxLength(40);
            e.Property(x => x.DeclaredEmail).HasMaxLength(320);
        });
        // Labels, groups and notes stay on the contact they were made for (a merge moves none of them): the contact kept
        // shows those of every contact merged into it, and an undone merge takes its own back.
        b.Entity<ContactLabel>(e =>
        {
            e.HasIndex(x => new { x.ContactId, x.Key }).IsUnique();
            e.Property(x => x.Label).HasMaxLength(32);
            e.Property(x => x.Key).HasMaxLength(32);
        });
        b.Entity<ContactGroup>(e =>
        {
            e.HasIndex(x => x.Name).IsUnique();
            e.Property(x => x.Name).HasMaxLength(32);
            e.Property(x => x.Description).HasMaxLength(200);
            e.Property(x => x.Color).HasMaxLength(16);
        });
        b.Entity<ContactGroupMember>(e =>
        {
            e.HasKey(x => new { x.ContactId, x.GroupId });
            e.HasIndex(x => x.GroupId);
            e.HasOne<ContactGroup>().WithMany().HasForeignKey(x => x.GroupId).OnDelete(DeleteBehavior.Cascade);
        });
        b.Entity<ContactNote>(e =>
        {
            e.HasIndex(x => new { x.ContactId, x.CreatedAt });
            e.Property(x => x.AgentName).HasMaxLength(200);
            e.Property(x => x.Text).HasMaxLength(2000);
        });
        b.Entity<ContactMerge>(e =>
        {
            e.HasIndex(x => x.FromContactId);
            e.HasIndex(x => x.IntoContactId);
            e.Property(x => x.Moved).HasMaxLength(100_000);
        });
        b.Entity<AgentSession>(e =>
        {
            e.HasIndex(x => x.AgentId);
            e.Property(x => x.ClientAddress).HasMaxLength(64);
            e.Property(x => x.UserAgent).HasMaxLength(300);
        });
        b.Entity<GatewayKey>(e =>
        {
            e.HasKey(x => x.Name);
            e.Property(x => x.Name).HasMaxLength(100);
            e.Property(x => x.Value).HasMaxLength(1000);
        });
        b.Entity<ChannelIdentity>(e =>
        {
            e.HasIndex(x => new { x.InstanceId, x.ExternalId }).IsUnique();
            e.Property(x => x.InstanceId).HasMaxLength(64);
            e.Property(x => x.ExternalId).HasMaxLength(200);
            e.Property(x => x.ProfileName).HasMaxLength(200);
            e.Property(x => x.ProfileLanguage).HasMaxLength(35);
            e.Property(x => x.CrossAccountKey).HasMaxLength(240);
            e.HasIndex(x => x.CrossAccountKey).HasFilter("\"CrossAccountKey\" IS NOT NULL");
            e.HasOne(x => x.Contact).WithMany(x => x.Identities).HasForeignKey(x => x.ContactId);
        });
        b.Entity<Conversation>(e =>
        {
            e.HasIndex(x => new { x.ContactId, x.Status });
            e.HasIndex(x => new { x.Status, x.AssignedAgentId });
            e.Property(x => x.Skill).HasMaxLength(64);
            e.Property(x => x.LastInstanceId).HasMaxLength(64);
            e.Property(x => x.LastExternalId).HasMaxLength(200);
            e.Property(x => x.Subject).HasMaxLength(300);
            e.Property(x => x.CloseReason).HasMaxLength(40);
            e.HasOne(x => x.Contact).WithMany().HasForeignKey(x => x.ContactId);
        });
        b.Entity<MessageContent>(e =>
        {
            e.HasKey(x => x.MessageId);
            // A reply's thread ids are looked up here (the customer's messages) and in Messages' provider keys (ours).
            e.HasIndex(x => x.ThreadKey).HasFilter("\"ThreadKey\" IS NOT NULL");
            e.HasIndex(x => x.ConversationId);
            e.Property(x => x.InstanceId).HasMaxLength(64);
            e.Property(x => x.Subject).HasMaxLength(300);
            e.Property(x => x.Html).HasMaxLength(2_000_000);
            e.Property(x => x.References).HasMaxLength(4000);
            e.Property(x => x.SpeakerId).HasMaxLength(200);
            e.Property(x => x.SpeakerName).HasMaxLength(200);
            e.Property(x => x.UnsupportedKind).HasMaxLength(40);
            e.Property(x => x.UnsupportedSummary).HasMaxLength(500);
            e.Property(x => x.OriginKind).HasMaxLength(40);
            e.Property(x => x.OriginReference).HasMaxLength(200);
            e.Property(x => x.OriginUrl).HasMaxLength(2000);
            e.Property(x => x.OriginTitle).HasMaxLength(300);
        });
        b.Entity<ReplyContextEntry>(e =>
        {
            e.ToTable("ReplyContexts");
            e.HasKey(x => new { x.ConversationId, x.InstanceId });
            e.Property(x => x.InstanceId).HasMaxLength(64);
            e.Property(x => x.Value).HasMaxLength(1000);
        });
        b.Entity<Attachment>(e =>
        {
            e.HasIndex(x => x.MessageId);
            // Files no message took, oldest first: what the clean-up deletes.
            e.HasIndex(x => x.CreatedAt).HasFilter("\"MessageId\" IS NULL");
            e.Property(x => x.InstanceId).HasMaxLength(64);
            e.Property(x => x.FileName).HasMaxLength(255);
            e.Property(x => x.ContentType).HasMaxLength(100);
            e.Property(x => x.Sha256).HasMaxLength(64);
            e.Property(x => x.ContentId).HasMaxLength(255);
        });
        b.Entity<ChannelStateEntry>(e =>
        {
            e.ToTable("ChannelStates");
            e.HasKey(x => new { x.InstanceId, x.Key });
            e.Property(x => x.InstanceId).HasMaxLength(64);
            e.Property(x => x.Key).HasMaxLength(200);
            e.Property(x => x.Value).HasMaxLength(4000);
        });
        b.Entity<ChannelLeaseEntry>(e =>
        {
            e.ToTable("ChannelLeases");
            e.HasKey(x => new { x.InstanceId, x.Name });
            e.Property(x => x.InstanceId).HasMaxLength(64);
            e.Property(x => x.Name).HasMaxLength(100);
            e.Property(x => x.Owner).HasMaxLength(64);
        });
        b.Entity<Message>(e =>
        {
            // An agent's answer ends its conversation's run of unanswered customer messages (InboundHead.RunStartId).
            e.ToTable(t => t.HasTrigger("Messages_AnswerEndsInboundRun"));
            // Delivery reports find the sent message by its hashed provider id (then compare the id itself).
            // Inbound messages stay out of this index: their keys are random, so every one would dirty a page
            // of it of its own (a third of what ingest wrote). The inbound writer finds a redelivery among the
            // sender's own messages instead, along their conversations' chains of customer messages; it keeps the
            // promise of one stored message per instance and provider id by looking up and inserting in one
            // write transaction.
            e.HasIndex(x => x.ProviderKey).HasFilter("\"ProviderKey\" IS NOT NULL AND \"Direction\" = 1");
            // One stored customer message per (instance, provider id), whichever gateway instance takes it first and
            // however often the provider redelivers it: on PostgreSQL the constraint keeps the promise. SQLite's migration
            // does not create it: there every writer looks up and inserts inside one write transaction, which SQLite runs
            // one at a time, and the index cost ingest a random page per message (see SqliteInboundStatements).
            e.HasIndex(x => new { x.InstanceId, x.ProviderMessageId }, "UX_Messages_Inbound").IsUnique()
                .HasFilter("\"Direction\" = 0 AND \"ProviderMessageId\" IS NOT NULL");
            // A conversation's replies and notes. Its customer messages are a chain instead (PreviousInboundId,
            // from InboundHeads): in an index by conversation, each of them took a random page of the store
            // (the end of its conversation's run), the largest part of what ingest wrote.
            e.HasIndex(x => new { x.ConversationId, x.CreatedAt }).HasFilter("\"Direction\" <> 0");
            // Sent messages only (replies, auto-replies): how the response watch finds a conversation's last
            // answer without reading its customer's messages. Inbound messages never enter it.
            e.HasIndex(x => new { x.ConversationId, x.CreatedAt }, "IX_Messages_Replies").HasFilter("\"Direction\" = 1");
            // Only messages waiting to go out: inbound messages never touch this index.
            e.HasIndex(x => x.NextAttemptAt).HasFilter("\"Status\" = 1");
            // Only failed sends, which agents are shown.
            e.HasIndex(x => new { x.AgentId, x.CreatedAt }).HasFilter("\"Status\" = 4");
            e.Property(x => x.InstanceId).HasMaxLength(64);
            e.Property(x => x.ProviderMessageId).HasMaxLength(200);
            e.Property(x => x.ExternalId).HasMaxLength(200);
            e.Property(x => x.DeliveryOwner).HasMaxLength(64);
            e.Property(x => x.Text).HasMaxLength(100_000);
        });
        b.Entity<InboundHead>(e =>
        {
            // On SQLite created WITHOUT ROWID by its migration: one B-tree keyed by conversation.
            e.HasKey(x => x.ConversationId);
        });
        b.Entity<Order>(e =>
        {
            // One order per (source, shop order id), whichever instance takes its first event; the shown id is unique too.
            e.HasIndex(x => new { x.SourceInstanceId, x.SourceOrderId }).IsUnique();
            e.HasIndex(x => new { x.SourceInstanceId, x.ExternalOrderId }).IsUnique();
            e.HasIndex(x => x.ContactId);
            e.Property(x => x.SourceInstanceId).HasMaxLength(64);
            e.Property(x => x.ExternalOrderId).HasMaxLength(100);
            e.Property(x => x.SourceOrderId).HasMaxLength(100);
            e.Property(x => x.Currency).HasMaxLength(3);
            e.Property(x => x.Items).HasMaxLength(100_000);
            e.Property(x => x.BuyerName).HasMaxLength(200);
            e.Property(x => x.BuyerPhone).HasMaxLength(32);
            e.Property(x => x.BuyerEmail).HasMaxLength(320);
            e.Property(x => x.BuyerInstanceId).HasMaxLength(64);
            e.Property(x => x.BuyerExternalId).HasMaxLength(200);
            e.Property(x => x.Carrier).HasMaxLength(100);
            e.Property(x => x.TrackingNumber).HasMaxLength(100);
            e.Property(x => x.Reason).HasMaxLength(500);
            e.Property(x => x.Amount).HasPrecision(18, 2);
            e.Property(x => x.RefundedAmount).HasPrecision(18, 2);
        });
        b.Entity<OrderEventRecord>(e =>
        {
            e.ToTable("OrderEvents");
            // An event is applied once per (source, event id), however often the shop delivers it.
            e.HasIndex(x => new { x.SourceInstanceId, x.EventId }).IsUnique();
            e.HasIndex(x => x.OrderId);
            e.Property(x => x.SourceInstanceId).HasMaxLength(64);
            e.Property(x => x.EventId).HasMaxLength(200);
            e.Property(x => x.Type).HasMaxLength(40);
        });
        b.Entity<FollowUp>(e =>
        {
            // A contact's follow-ups by time (the desk's list, the frequency caps).
            e.HasIndex(x => new { x.ContactId, x.DueAt });
            e.HasIndex(x => x.OrderId);
            e.HasIndex(x => x.ConversationId);
            // Only planned ones: what the scheduler reconciles and what is due.
            e.HasIndex(x => x.DueAt).HasFilter("\"Status\" = 0");
            e.Property(x => x.Kind).HasMaxLength(32);
            e.Property(x => x.Rule).HasMaxLength(64);
            e.Property(x => x.Channel).HasMaxLength(64);
            e.Property(x => x.Reason).HasMaxLength(500);
            // A promise's note, or the text of a scheduled reply (up to a reply's 4000 characters).
            e.Property(x => x.Note).HasMaxLength(4000);
        });
        b.Entity<CannedReply>(e =>
        {
            // A shortcut once among the shared replies, and once among each agent's own.
            e.HasIndex(x => x.Shortcut).IsUnique().HasFilter("\"AgentId\" IS NULL");
            e.HasIndex(x => new { x.AgentId, x.Shortcut }).IsUnique().HasFilter("\"AgentId\" IS NOT NULL");
            e.Property(x => x.Skill).HasMaxLength(64);
            e.Property(x => x.Shortcut).HasMaxLength(20);
            e.Property(x => x.Title).HasMaxLength(100);
            e.Property(x => x.Text).HasMaxLength(2000);
        });
        b.Entity<CannedReplyAttachment>(e =>
        {
            e.HasKey(x => new { x.CannedReplyId, x.AttachmentId });
            // A file belongs to one canned reply; the clean-up asks whether any reply keeps it.
            e.HasIndex(x => x.AttachmentId).IsUnique();
            e.HasOne<CannedReply>().WithMany().HasForeignKey(x => x.CannedReplyId).OnDelete(DeleteBehavior.Cascade);
        });
        b.Entity<ReplyOverride>(e =>
        {
            // The supervisors' count over a period, and per agent.
            e.HasIndex(x => x.CreatedAt);
            e.HasIndex(x => new { x.AgentId, x.CreatedAt });
            e.Property(x => x.Phrase).HasMaxLength(200);
        });
        b.Entity<Agent>(e =>
        {
            e.HasIndex(x => x.UserName).IsUnique();
            e.Property(x => x.UserName).HasMaxLength(100);
            e.Property(x => x.Skills).HasMaxLength(1000);
            e.Property(x => x.Role).HasMaxLength(20).HasDefaultValue(AgentRoles.Agent);
        });
    }
}

/// <summary>
/// The same model on PostgreSQL: this type exists so that PostgreSQL's migrations (Store/Migrations/PostgreSql)
/// are found apart from SQLite's. At run time the gateway uses <see cref="GatewayDbContext"/> on either engine.
/// </summary>
internal sealed class PostgreSqlGatewayDbContext(DbContextOptions<PostgreSqlGatewayDbContext> options) : GatewayDbContext(options);

/// <summary>Lets <c>dotnet ef migrations add</c> build the model without starting the host.</summary>
internal sealed class DesignTimeGatewayDbContextFactory : IDesignTimeDbContextFactory<GatewayDbContext>
{
    public GatewayDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<GatewayDbContext>().UseSqlite("Data Source=design.db").Options);
}

/// <summary><c>dotnet ef migrations add Name --context PostgreSqlGatewayDbContext -o Store/Migrations/PostgreSql</c>.</summary>
internal sealed class DesignTimePostgreSqlGatewayDbContextFactory : IDesignTimeDbContextFactory<PostgreSqlGatewayDbContext>
{
    public PostgreSqlGatewayDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PostgreSqlGatewayDbContext>().UseNpgsql("Host=localhost;Database=design").Options);
}
