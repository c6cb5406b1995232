using Microsoft.EntityFrameworkCore;

namespace ChatGateway.Gateway.Webhooks;

/// <summary>A shop's endpoint that receives the events it subscribed to, signed with its secret.</summary>
internal sealed class WebhookSubscription
{
    public Guid Id { get; set; }

    public string Url { get; set; } = "";

    /// <summary>The event types, space-separated (see <see cref="WebhookEventTypes"/>).</summary>
    public string Events { get; set; } = "";

    public string? Description { get; set; }

    /// <summary><c>whsec_</c> + base64 of the key: it signs every attempt.</summary>
    public string Secret { get; set; } = "";

    /// <summary>The secret before the last rotation; it signs alongside <see cref="Secret"/> until <see cref="PreviousSecretUntil"/>.</summary>
    public string? PreviousSecret { get; set; }

    public DateTimeOffset? PreviousSecretUntil { get; set; }

    public bool Enabled { get; set; } = true;

    /// <summary>Why the gateway disabled it (a 410, attempts exhausted, failing for days); null when a supervisor did or it is enabled.</summary>
    public string? DisabledReason { get; set; }

    public DateTimeOffset? DisabledAt { get; set; }

    /// <summary>Since when every attempt failed (null after a success).</summary>
    public DateTimeOffset? FailingSince { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    public IReadOnlyList<string> EventList => Events.Split(' ', StringSplitOptions.RemoveEmptyEntries);
}

/// <summary>
/// The outbox: an event written with the change it tells of (or right after it), sent later by
/// <see cref="WebhookDispatcher"/>. <see cref="Seq"/> orders the events of one <see cref="OrderingKey"/> (a conversation or contact).
/// </summary>
internal sealed class WebhookEvent
{
    public long Seq { get; set; }

    /// <summary>The <c>webhook-id</c> receivers see on every attempt and replay of it.</summary>
    public Guid Id { get; set; }

    public string Type { get; set; } = "";

    public Guid OrderingKey { get; set; }

    /// <summary>The body sent, exactly: <c>{"type":..., "timestamp":..., "data":{...}}</c>.</summary>
    public string Payload { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>Its deliveries were made, one per subscription that wanted it then.</summary>
    public bool FannedOut { get; set; }
}

internal enum WebhookDeliveryStatus
{
    Pending = 0,
    Delivered = 1,
    Failed = 2,
}

/// <summary>One event to one subscription: its attempts and what the last said.</summary>
internal sealed class WebhookDelivery
{
    public Guid Id { get; set; }

    public Guid SubscriptionId { get; set; }

    public long EventSeq { get; set; }

    public Guid OrderingKey { get; set; }

    public WebhookDeliveryStatus Status { get; set; }

    public int Attempts { get; set; }

    /// <summary>When it is due (pending), or the lease of the instance sending it (<see cref="Owner"/> set).</summary>
    public DateTimeOffset? NextAttemptAt { get; set; }

    public string? Owner { get; set; }

    public int? LastStatusCode { get; set; }

    public string? LastError { get; set; }

    public DateTimeOffset? LastAttemptAt { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? DeliveredAt { get; set; }
}

internal static class WebhookModel
{
    public static void Configure(ModelBuilder b)
    {
        b.Entity<WebhookSubscription>(e =>
        {
            e.Property(x => x.Url).HasMaxLength(2048);
            e.Property(x => x.Events).HasMaxLength(1000);
            e.Property(x => x.Description).HasMaxLength(200);
            e.Property(x => x.Secret).HasMaxLength(120);
            e.Property(x => x.PreviousSecret).HasMaxLength(120);
            e.Property(x => x.DisabledReason).HasMaxLength(500);
            e.Ignore(x => x.EventList);
        });
        b.Entity<WebhookEvent>(e =>
        {
            e.HasKey(x => x.Seq);
            e.Property(x => x.Seq).ValueGeneratedOnAdd();
            e.HasIndex(x => x.Id).IsUnique();
            e.HasIndex(x => new { x.FannedOut, x.Seq });
            e.HasIndex(x => x.CreatedAt);
            e.Property(x => x.Type).HasMaxLength(64);
            e.Property(x => x.Payload).HasMaxLength(1_000_000);
        });
        b.Entity<WebhookDelivery>(e =>
        {
            e.HasIndex(x => new { x.SubscriptionId, x.EventSeq }).IsUnique();
            e.HasIndex(x => new { x.SubscriptionId, x.OrderingKey, x.Status, x.EventSeq });
            e.HasIndex(x => new { x.Status, x.NextAttemptAt });
            e.HasOne<WebhookSubscription>().WithMany().HasForeignKey(x => x.SubscriptionId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<WebhookEvent>().WithMany().HasForeignKey(x => x.EventSeq).OnDelete(DeleteBehavior.Cascade);
            e.Property(x => x.Owner).HasMaxLength(100);
            e.Property(x => x.LastError).HasMaxLength(500);
        });
    }
}
