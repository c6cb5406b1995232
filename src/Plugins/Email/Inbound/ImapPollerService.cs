using System.Text.Json;

using ChatGateway.Abstractions;

using MailKit;
using MailKit.Net.Imap;
using MailKit.Search;

using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ChatGateway.Plugins.Email.Inbound;

/// <summary>
/// Reads the mailbox over IMAP while this gateway instance holds the instance's <c>imap</c> lease: IDLE where the server
/// has it (mail within seconds), otherwise a poll every <c>Imap:PollSeconds</c>. Each folder is read from its cursor in
/// channel state; the cursor moves past a mail only once the gateway has it (or it was skipped with a logged reason), and
/// only from where this instance last saw it (compare-and-set), so two instances never both move it.
/// </summary>
internal sealed class ImapPollerService(
    InboundEmailProcessor processor,
    IChannelState state,
    IChannelLeases leases,
    EmailHealth health,
    IOptionsMonitor<EmailOptions> options,
    TimeProvider time,
    ILogger<ImapPollerService> logger) : BackgroundService
{
    public const string LeaseName = "imap";

    /// <summary>The largest mail read: room for a few files at the plugin's 25 MB limit, base64-encoded.</summary>
    public const long MaxMessageBytes = 100L * 1024 * 1024;

    private const int MaxFetchAttempts = 3;

    private static readonly TimeSpan MaxBackoff = TimeSpan.FromMinutes(5);

    private static readonly TimeSpan MaxIdle = TimeSpan.FromMinutes(9);

    // Read by operators in the state table: keep quotes and non-ASCII reasons legible.
    private static readonly JsonSerializerOptions SkippedJson = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly Dictionary<(string Folder, uint UidValidity, uint Uid), int> _fetchFailures = [];

    /// <summary>Failures since the last successful login: the backoff grows with them and starts again after one.</summary>
    private int _failures;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        while (!stoppingToken.IsCancellationRequested)
        {
            var settings = options.CurrentValue.Imap;
            var leaseDuration = TimeSpan.FromSeconds(settings.LeaseSeconds);
            TimeSpan wait;
            IChannelLease? lease = null;
            try
            {
                lease = await leases.TryAcquireAsync(LeaseName, leaseDuration, stoppingToken);
                if (lease is null)
                {
                    // Another gateway instance reads the mailbox; look again once its lease could have run out.
                    health.ImapWorks();
                    wait = leaseDuration / 3;
                }
                else
                {
                    Log.LeaseTaken(logger);
                    await ReadWhileHoldingAsync(lease, stoppingToken);
                    wait = TimeSpan.Zero;
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (LeaseLostException ex)
            {
                Log.LeaseLost(logger, ex.Message);
                wait = leaseDuration / 3;
            }
            catch (Exception ex)
            {
                _failures++;
                var port = settings.PortOrDefault;
                var reason = MailConnections.Describe("Imap", settings, port, ex);
                health.ImapFailed(reason);
                wait = Backoff(_failures);
                Log.ImapFailed(logger, reason, wait, ex);
            }
            finally
            {
                if (lease is not null)
                {
                    await lease.DisposeAsync();
                }
            }

            try
            {
                await Task.Delay(wait, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    /// <summary>Exponential from 1 s to 5 min, with ±20 % jitter so several instances do not knock in step.</summary>
    internal static TimeSpan Backoff(int failures)
    {
        var seconds = Math.Min(MaxBackoff.TotalSeconds, Math.Pow(2, Math.Min(failures - 1, 20)));
        return TimeSpan.FromSeconds(seconds * (0.8 + (0.4 * Random.Shared.NextDouble())));
    }

    private async Task ReadWhileHoldingAsync(IChannelLease lease, CancellationToken stoppingToken)
    {
        var settings = options.CurrentValue;
        var keeper = new LeaseKeeper(lease, TimeSpan.FromSeconds(settings.Imap.LeaseSeconds) / 3, time);
        using var client = await MailConnections.ConnectImapAsync(settings.Imap, stoppingToken);
        health.ImapWorks();
        _failures = 0;
        var canIdle = client.Capabilities.HasFlag(ImapCapabilities.Idle);
        Log.Connected(logger, settings.Imap.Host, settings.Imap.PortOrDefault, canIdle);

        var folders = settings.Imap.FolderNames;
        while (!stoppingToken.IsCancellationRequested)
        {
            foreach (var name in folders)
            {
                await ReadFolderAsync(client, name, settings, keeper, stoppingToken);
            }

            await keeper.RenewIfDueAsync(stoppingToken);
            var pause = TimeSpan.FromSeconds(settings.Imap.PollSeconds);
            if (canIdle)
            {
                // IDLE on the first folder: woken by new mail there, and at least every renewal (and every poll when there are more folders).
                var first = await OpenAsync(client, folders[0], stoppingToken);
                var idleFor = Min(keeper.RenewEvery, folders.Count > 1 ? pause : MaxIdle);
                using var done = new CancellationTokenSource(idleFor, time);
                void OnCountChanged(object? sender, EventArgs e) => done.Cancel();
                first.CountChanged += OnCountChanged;
                try
                {
                    await client.IdleAsync(done.Token, stoppingToken);
                }
                finally
                {
                    first.CountChanged -= OnCountChanged;
                }
            }
            else
            {
                await Task.Delay(Min(keeper.RenewEvery, pause), time, stoppingToken);
                await client.NoOpAsync(stoppingToken);
            }

            await keeper.RenewIfDueAsync(stoppingToken);
        }
    }

    private async Task ReadFolderAsync(ImapClient client, string name, EmailOptions settings, LeaseKeeper keeper, CancellationToken cancellationToken)
    {
        // Selected again each time: that is when the server tells UIDVALIDITY and UIDNEXT as they are now.
        var folder = await OpenAsync(client, name, cancellationToken, reselect: true);
        var key = ImapCursor.KeyFor(name);
        var stored = await state.GetAsync(key, cancellationToken);
        var cursor = ImapCursor.Parse(stored);
        var uidValidity = folder.UidValidity;
        var uidNextAtStart = folder.UidNext?.Id;

        IList<UniqueId> uids;
        ImapCursor progress;
        var firstRun = cursor is null;
        if (cursor is null)
        {
            progress = new ImapCursor(uidValidity, 0);
            uids = settings.Imap.BackfillDays == 0
                ? []
                : await folder.SearchAsync(SearchQuery.DeliveredAfter(time.GetUtcNow().UtcDateTime.Date.AddDays(-settings.Imap.BackfillDays)), cancellationToken);
        }
        else if (cursor.UidValidity != uidValidity)
        {
            // The folder was rebuilt: its UIDs mean nothing now. Read it all again; the gateway stores each Message-ID once,
            // so what was imported before comes back as a duplicate and nothing is lost.
            Log.UidValidityChanged(logger, name, cursor.UidValidity, uidValidity);
            progress = new ImapCursor(uidValidity, 0);
            uids = await folder.SearchAsync(SearchQuery.All, cancellationToken);
        }
        else
        {
            progress = cursor;
            if (uidNextAtStart is { } next && next <= cursor.LastUid + 1)
            {
                return;
            }

            var range = new UniqueIdRange(new UniqueId(uidValidity, cursor.LastUid + 1), UniqueId.MaxValue);
            uids = await folder.SearchAsync(SearchQuery.Uids(range), cancellationToken);
        }

        var ordered = uids.Where(uid => uid.Id > progress.LastUid).OrderBy(uid => uid.Id).ToList();
        Log.FolderRead(logger, name, ordered.Count, progress.LastUid);
        var sizes = ordered.Count == 0
            ? new Dictionary<uint, long>()
            : (await folder.FetchAsync(ordered, MessageSummaryItems.UniqueId | MessageSummaryItems.Size, cancellationToken))
                .Where(summary => summary.Size is not null)
                .ToDictionary(summary => summary.UniqueId.Id, summary => (long)summary.Size!.Value);

        foreach (var uid in ordered)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await keeper.RenewIfDueAsync(cancellationToken);
            var outcome = sizes.TryGetValue(uid.Id, out var size) && size > MaxMessageBytes
                // Never fetched: a mail this large would only be read into memory to refuse its files.
                ? new EmailOutcome(EmailOutcomeKind.Skipped, $"uid:{uid.Id}", $"it is {size / (1024 * 1024)} MB, larger than the {MaxMessageBytes / (1024 * 1024)} MB a mail may be")
                : await ReadOneAsync(folder, name, uid, cancellationToken);
            if (outcome is null)
            {
                // The server failed to return it but may next time: stop here and come back to it.
                return;
            }

            if (outcome.Kind is EmailOutcomeKind.Skipped or EmailOutcomeKind.Rejected)
            {
                Log.Skipped(logger, name, uid.Id, outcome.ProviderMessageId, outcome.Reason ?? "");
                await RecordSkippedAsync(name, uidValidity, uid.Id, outcome, cancellationToken);
            }

            var moved = progress with { LastUid = uid.Id };
            await MoveCursorAsync(key, stored, moved, cancellationToken);
            stored = moved.ToString();
            progress = moved;
        }

        // After a first run or a rescan, everything below the UIDNEXT seen at the start was looked at (or is older than the
        // backfill): start from there next time.
        var floor = firstRun && uidNextAtStart is { } n && n > 0 ? n - 1 : 0;
        if (firstRun)
        {
            Log.FirstRun(logger, name, ordered.Count, settings.Imap.BackfillDays);
        }

        if (stored is null || ImapCursor.Parse(stored) != progress || floor > progress.LastUid)
        {
            await MoveCursorAsync(key, stored, progress with { LastUid = Math.Max(progress.LastUid, floor) }, cancellationToken);
        }
    }

    private async Task<EmailOutcome?> ReadOneAsync(IMailFolder folder, string name, UniqueId uid, CancellationToken cancellationToken)
    {
        Stream raw;
        try
        {
            raw = await folder.GetStreamAsync(uid, cancellationToken);
        }
        catch (ImapCommandException ex)
        {
            // The server refuses this one message (damaged on its disk, gone meanwhile): a few tries, then past it.
            var failureKey = (name, uid.Validity, uid.Id);
            var attempt = _fetchFailures.GetValueOrDefault(failureKey) + 1;
            _fetchFailures[failureKey] = attempt;
            Log.FetchFailed(logger, name, uid.Id, attempt, ex.Response.ToString());
            if (attempt < MaxFetchAttempts)
            {
                return null;
            }

            _fetchFailures.Remove(failureKey);
            return new EmailOutcome(EmailOutcomeKind.Skipped, $"uid:{uid.Id}", $"the server could not return it ({ex.Response}: {ex.ResponseText})");
        }

        await using (raw)
        {
            return await processor.ProcessAsync(raw, cancellationToken);
        }
    }

    private async Task MoveCursorAsync(string key, string? expected, ImapCursor moved, CancellationToken cancellationToken)
    {
        if (!await state.CompareAndSetAsync(key, expected, moved.ToString(), cancellationToken))
        {
            throw new LeaseLostException("the folder's cursor was moved by another gateway instance");
        }
    }

    private async Task RecordSkippedAsync(string folder, uint uidValidity, uint uid, EmailOutcome outcome, CancellationToken cancellationToken)
    {
        // The last few skipped mails, for an operator: which one (UID, Message-ID) and why. No addresses, no text.
        var key = ImapCursor.SkippedKeyFor(folder);
        var list = new List<SkippedEmail>();
        try
        {
            list = JsonSerializer.Deserialize<List<SkippedEmail>>(await state.GetAsync(key, cancellationToken) ?? "[]") ?? [];
        }
        catch (JsonException)
        {
            // Start a fresh list.
        }

        list.Add(new SkippedEmail(uidValidity, uid, Shorten(outcome.ProviderMessageId, 120), Shorten(outcome.Reason ?? "", 200), time.GetUtcNow()));
        string json;
        do
        {
            json = JsonSerializer.Serialize(list, SkippedJson);
            if (json.Length > 3800)
            {
                list.RemoveAt(0);
            }
        }
        while (json.Length > 3800 && list.Count > 0);

        await state.SetAsync(key, json, cancellationToken);

        static string Shorten(string value, int max) => value.Length <= max ? value : value[..max];
    }

    private static async Task<IMailFolder> OpenAsync(ImapClient client, string name, CancellationToken cancellationToken, bool reselect = false)
    {
        var folder = string.Equals(name, "INBOX", StringComparison.OrdinalIgnoreCase) ? client.Inbox : await client.GetFolderAsync(name, cancellationToken);
        if (reselect || !folder.IsOpen)
        {
            await folder.OpenAsync(FolderAccess.ReadOnly, cancellationToken);
        }

        return folder;
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private sealed record SkippedEmail(uint UidValidity, uint Uid, string MessageId, string Reason, DateTimeOffset At);

    /// <summary>Renews the lease once a third of its time has passed; throws <see cref="LeaseLostException"/> when it was lost.</summary>
    private sealed class LeaseKeeper(IChannelLease lease, TimeSpan renewEvery, TimeProvider time)
    {
        private DateTimeOffset _renewedAt = time.GetUtcNow();

        public TimeSpan RenewEvery => renewEvery;

        public async Task RenewIfDueAsync(CancellationToken cancellationToken)
        {
            if (time.GetUtcNow() - _renewedAt < renewEvery)
            {
                return;
            }

            if (!await lease.RenewAsync(cancellationToken))
            {
                throw new LeaseLostException("it ran out before it was renewed");
            }

            _renewedAt = time.GetUtcNow();
        }
    }
}

/// <summary>This instance no longer holds the mailbox lease: stop reading at once.</summary>
internal sealed class LeaseLostException(string message) : Exception(message);
