using ChatGateway.Gateway.Store;
using Microsoft.EntityFrameworkCore;

namespace ChatGateway.Gateway.Contacts;

/// <summary>
/// Creates the starter contact groups (分组) once, on the first start: a marker (GatewayKey <c>contact-groups:starter</c>)
/// remembers they were offered, so a group the shop deleted or renamed stays as the shop left it.
/// </summary>
internal sealed partial class ContactGroupSeeder(IDbContextFactory<GatewayDbContext> dbFactory, TimeProvider time, ILogger<ContactGroupSeeder> logger) : IHostedService
{
    private const string Marker = "contact-groups:starter";

    /// <summary>Name, what it is for (with the English name), colour.</summary>
    internal static readonly (string Name, string Description, string Color)[] Starter =
    [
        ("已付款未发货", "Paid, not shipped yet: 催发货 questions go first", "orange"),
        ("退款中", "Refund in progress: 售后 handles it, answer gently", "red"),
        ("老客户", "Returning customer: 回访 and greetings welcome", "green"),
        ("黑名单", "Blacklist: abusive or fraudulent, check with a supervisor", "gray"),
    ];

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        if (await db.GatewayKeys.AsNoTracking().AnyAsync(k => k.Name == Marker, cancellationToken))
        {
            return;
        }

        var now = time.GetUtcNow();
        db.GatewayKeys.Add(new GatewayKey { Name = Marker, Value = "offered", CreatedAt = now });
        var names = (await db.ContactGroups.AsNoTracking().Select(g => g.Name).ToListAsync(cancellationToken)).ToHashSet();
        var added = 0;
        foreach (var (name, description, color) in Starter.Where(s => !names.Contains(s.Name)))
        {
            // Their creation times keep the list in this order.
            db.ContactGroups.Add(new ContactGroup { Id = Ids.NewVersion7(now), Name = name, Description = description, Color = color, CreatedAt = now.AddMilliseconds(added++) });
        }

        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException ex)
        {
            // Another instance starting at the same moment offered them first.
            LogRace(logger, ex.InnerException?.Message ?? ex.Message);
            return;
        }

        LogSeeded(logger, added);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 1320, Level = LogLevel.Information, Message = "{Count} starter contact groups created")]
    private static partial void LogSeeded(ILogger logger, int count);

    [LoggerMessage(EventId = 1321, Level = LogLevel.Information, Message = "Starter contact groups were created by another instance: {Reason}")]
    private static partial void LogRace(ILogger logger, string reason);
}
