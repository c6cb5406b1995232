using Xunit;

namespace ChatGateway.Testing.MailServers;

/// <summary>
/// Postfix and Dovecot for one test class (<c>IClassFixture&lt;MailServersFixture&gt;</c>): started once, stopped and their
/// folder deleted after the class. Where they cannot run (not installed, not root) a test calling <see cref="Require"/> is
/// skipped with the reason, except in CI (CI=true), where it fails.
/// </summary>
public sealed class MailServersFixture : IAsyncLifetime
{
    private MailServers? _servers;
    private string? _unavailable;

    public async ValueTask InitializeAsync()
    {
        _unavailable = MailServers.UnavailableReason();
        if (_unavailable is not null && !MailServers.InCi)
        {
            return;
        }

        _servers = await MailServers.StartAsync();
    }

    /// <summary>The running servers; skips the calling test (outside CI) when they cannot run here.</summary>
    public MailServers Require()
    {
        if (_servers is null)
        {
            Assert.Skip(_unavailable ?? "The mail servers did not start.");
        }

        return _servers;
    }

    public async ValueTask DisposeAsync()
    {
        if (_servers is not null)
        {
            await _servers.DisposeAsync();
        }
    }
}
