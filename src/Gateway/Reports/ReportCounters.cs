namespace ChatGateway.Gateway.Reports;

/// <summary>
/// The sums a report is made of. Every number on the report is one of them or a ratio of two, so the rows of any
/// grouping add up to the total. A query's column named like a counter fills it: one more counter is a member here,
/// a <c>SUM(...) AS "Name"</c> in one query of <see cref="ReportQueries"/> and a line in <see cref="ReportMetrics.All"/>.
/// Durations are in the store's time unit (100 µs; see <see cref="ReportQueries.UnitsPerSecond"/>).
/// </summary>
internal enum Counter
{
    Turns,
    Answered,
    ResponseSum,
    InTarget,
    FirstTurns,
    FirstAnswered,
    FirstResponseSum,
    FirstInTarget,
    Conversations,
    Assigned,
    WaitSum,
    Closed,
    ResolutionSum,
    Handled,
    HandlingSum,
    Transfers,
    Transferred,
    Rated,
    RatingSum,
    Satisfied,
    FollowUpsSent,
    FollowUpsSkipped,
    PhraseOverrides,
}

/// <summary>One group's sums (an agent's, a day's, …).</summary>
internal sealed class CounterSums
{
    public static readonly int Count = Enum.GetValues<Counter>().Length;

    private readonly long[] _values = new long[Count];

    public long this[Counter counter]
    {
        get => _values[(int)counter];
        set => _values[(int)counter] = value;
    }

    public void Add(CounterSums other)
    {
        for (var i = 0; i < _values.Length; i++)
        {
            _values[i] += other._values[i];
        }
    }
}

/// <summary>A number as the report shows it: its API name, its label (中文 English) and how it comes from the sums.</summary>
internal sealed record ReportMetric(string Name, string Label, Func<CounterSums, double?> Value);

internal static class ReportMetrics
{
    private static double? Seconds(CounterSums s, Counter sum, Counter count) =>
        s[count] == 0 ? null : Math.Round(s[sum] / (double)ReportQueries.UnitsPerSecond / s[count], 1);

    private static double? Share(CounterSums s, Counter part, Counter whole) =>
        s[whole] == 0 ? null : Math.Round(s[part] / (double)s[whole], 4);

    /// <summary>In the order the page and the CSV show them.</summary>
    public static readonly IReadOnlyList<ReportMetric> All =
    [
        new("conversations", "会话数 Conversations", s => s[Counter.Conversations]),
        new("firstResponses", "首次响应数 First responses", s => s[Counter.FirstAnswered]),
        new("firstResponseSeconds", "平均首响(秒) Avg first response (s)", s => Seconds(s, Counter.FirstResponseSum, Counter.FirstAnswered)),
        new("firstResponseInTarget", "首响达标率 First response in target", s => Share(s, Counter.FirstInTarget, Counter.FirstTurns)),
        new("turns", "客户提问数 Customer turns", s => s[Counter.Turns]),
        new("answered", "已回复 Answered", s => s[Counter.Answered]),
        new("responseSeconds", "平均响应(秒) Avg response (s)", s => Seconds(s, Counter.ResponseSum, Counter.Answered)),
        new("answeredInTarget", "响应达标率 Answered in target", s => Share(s, Counter.InTarget, Counter.Turns)),
        new("waitSeconds", "平均排队(秒) Avg wait before assignment (s)", s => Seconds(s, Counter.WaitSum, Counter.Assigned)),
        new("handlingSeconds", "平均处理(秒) Avg handling (s)", s => Seconds(s, Counter.HandlingSum, Counter.Handled)),
        new("resolutionSeconds", "平均解决(秒) Avg resolution (s)", s => Seconds(s, Counter.ResolutionSum, Counter.Closed)),
        new("closed", "已结束 Closed", s => s[Counter.Closed]),
        new("transfers", "转接次数 Transfers", s => s[Counter.Transfers]),
        new("transferredConversations", "被转接会话 Transferred conversations", s => s[Counter.Transferred]),
        new("ratings", "评价数 Ratings", s => s[Counter.Rated]),
        new("ratingAverage", "平均评分 Average rating", s => s[Counter.Rated] == 0 ? null : Math.Round(s[Counter.RatingSum] / (double)s[Counter.Rated], 2)),
        new("csat", "满意率(4-5分) CSAT (4-5)", s => Share(s, Counter.Satisfied, Counter.Rated)),
        new("followUpsSent", "回访已发 Follow-ups sent", s => s[Counter.FollowUpsSent]),
        new("followUpsSkipped", "回访跳过 Follow-ups skipped", s => s[Counter.FollowUpsSkipped]),
        new("phraseOverrides", "禁语强制发送 Forbidden phrases sent anyway", s => s[Counter.PhraseOverrides]),
    ];
}
