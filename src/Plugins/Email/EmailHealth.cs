namespace ChatGateway.Plugins.Email;

/// <summary>What the instance last learnt about its servers, for readiness: set by the poller and the sender.</summary>
internal sealed class EmailHealth
{
    private volatile string? _imapProblem;

    /// <summary>Null while the mailbox can be read (or is read by another gateway instance); otherwise why not.</summary>
    public string? ImapProblem => _imapProblem;

    public void ImapFailed(string reason) => _imapProblem = reason;

    public void ImapWorks() => _imapProblem = null;
}
