using ChatGateway.Abstractions;

using Microsoft.Extensions.Options;

namespace ChatGateway.Plugins.Email;

/// <summary>
/// Not ready while the settings are bad, while the mailbox cannot be read (the poller's last login or connection failed),
/// or while the SMTP server cannot be reached or refuses the login (probed at most every 30 seconds).
/// </summary>
internal sealed class EmailReadiness(IOptionsMonitor<EmailOptions> options, EmailHealth health, TimeProvider time) : IChannelReadiness
{
    private static readonly TimeSpan ProbeEvery = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(10);

    private readonly SemaphoreSlim _probing = new(1, 1);
    private (DateTimeOffset At, string? Problem)? _lastProbe;

    public async Task<string?> CheckAsync(CancellationToken cancellationToken)
    {
        EmailOptions settings;
        try
        {
            settings = options.CurrentValue;
        }
        catch (OptionsValidationException ex)
        {
            return string.Join("; ", ex.Failures);
        }

        var smtp = await SmtpProblemAsync(settings.Smtp, cancellationToken);
        var problems = new[] { health.ImapProblem, smtp }.Where(p => p is not null).ToList();
        return problems.Count == 0 ? null : string.Join("; ", problems);
    }

    private async Task<string?> SmtpProblemAsync(SmtpOptions smtp, CancellationToken cancellationToken)
    {
        await _probing.WaitAsync(cancellationToken);
        try
        {
            if (_lastProbe is { } last && time.GetUtcNow() - last.At < ProbeEvery)
            {
                return last.Problem;
            }

            string? problem = null;
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(ProbeTimeout);
            try
            {
                using var client = await MailConnections.ConnectSmtpAsync(smtp with { Timeout = ProbeTimeout }, timeout.Token);
                await client.DisconnectAsync(quit: true, timeout.Token);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                problem = MailConnections.Describe("Smtp", smtp, smtp.PortOrDefault, ex);
            }

            _lastProbe = (time.GetUtcNow(), problem);
            return problem;
        }
        finally
        {
            _probing.Release();
        }
    }
}
