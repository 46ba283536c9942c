"""Tests of the check's logic; run natively with `python3 -m unittest`."""

import unittest

from checks import Config, ConfigError, missing_share


class MissingShareTest(unittest.TestCase):
    def test_a_column_over_the_bound_fails_and_one_under_passes(self):
        self.assertEqual(missing_share(3, 10, 0.2), (0.3, False))
        self.assertEqual(missing_share(2, 10, 0.2), (0.2, True))
        self.assertEqual(missing_share(0, 0, 0.0), (0.0, True))

    def test_config_errors_name_the_key(self):
        with self.assertRaisesRegex(ConfigError, "config.max_missing_shar: unknown key; did you mean `max_missing_share`"):
            Config('{"max_missing_shar": 0.1}')
        with self.assertRaisesRegex(ConfigError, "config.max_missing_share"):
            Config('{"max_missing_share": 1.5}')
        self.assertEqual(Config("{}").dataset, "current")


if __name__ == "__main__":
    unittest.main()
