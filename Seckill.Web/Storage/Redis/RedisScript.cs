using System.Security.Cryptography;
using System.Text;
using StackExchange.Redis;

namespace Seckill.Web.Storage.Redis;

/// <summary>
/// A Lua script run by its SHA1 (EVALSHA: the text is not resent on every call). A Redis that
/// restarted or flushed its script cache answers NOSCRIPT; the script then goes once with its
/// text (EVAL), which also caches it again there.
/// </summary>
public sealed class RedisScript(string text)
{
    private readonly byte[] _sha1 = SHA1.HashData(Encoding.UTF8.GetBytes(text));

    public async Task<RedisResult> EvaluateAsync(IDatabase database, RedisKey[] keys, RedisValue[] values)
    {
        try
        {
            return await database.ScriptEvaluateAsync(_sha1, keys, values);
        }
        catch (RedisServerException e) when (e.Message.StartsWith("NOSCRIPT", StringComparison.Ordinal))
        {
            return await database.ScriptEvaluateAsync(text, keys, values);
        }
    }
}
