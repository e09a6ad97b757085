// Tests of common/org_code.h: the code rules every tier checks.
#include "common/org_code.h"

#include "gtest/gtest.h"

namespace sanji {
namespace {

TEST(OrgCodeTest, LevelOfCodeByLengthOfDigits) {
  EXPECT_EQ(LevelOfCode("640522"), OrgLevel::kCounty);
  EXPECT_EQ(LevelOfCode("640522100"), OrgLevel::kTownship);
  EXPECT_EQ(LevelOfCode("640522100201"), OrgLevel::kVillage);
  EXPECT_EQ(LevelOfCode(""), std::nullopt);
  EXPECT_EQ(LevelOfCode("64052"), std::nullopt);
  EXPECT_EQ(LevelOfCode("6405221002011"), std::nullopt);
  EXPECT_EQ(LevelOfCode("64052210020a"), std::nullopt);
  EXPECT_EQ(LevelOfCode("64052210020 "), std::nullopt);
  EXPECT_EQ(LevelOfCode("-64052210020"), std::nullopt);
}

TEST(OrgCodeTest, WithinMeansAPrefixOfAHigherLevel) {
  EXPECT_TRUE(IsCodeWithin("640522100201", OrgLevel::kVillage, "640522100"));
  EXPECT_TRUE(IsCodeWithin("640522100201", OrgLevel::kVillage, "640522"));
  EXPECT_TRUE(IsCodeWithin("640522100", OrgLevel::kTownship, "640522"));
  // Another township's village, a village named as a township, the same
  // level, a malformed ancestor.
  EXPECT_FALSE(IsCodeWithin("640522101201", OrgLevel::kVillage, "640522100"));
  EXPECT_FALSE(IsCodeWithin("640522100201", OrgLevel::kTownship, "640522"));
  EXPECT_FALSE(IsCodeWithin("640522100", OrgLevel::kTownship, "640522100"));
  EXPECT_FALSE(IsCodeWithin("640522100201", OrgLevel::kVillage, "6405"));
  EXPECT_FALSE(IsCodeWithin("640522100201", OrgLevel::kVillage, ""));
  EXPECT_FALSE(IsCodeWithin("64052210020x", OrgLevel::kVillage, "640522100"));
}

TEST(OrgCodeTest, AncestorAtAndLevelNames) {
  EXPECT_EQ(AncestorAt("640522100201", OrgLevel::kTownship), "640522100");
  EXPECT_EQ(AncestorAt("640522100201", OrgLevel::kCounty), "640522");
  EXPECT_EQ(AncestorAt("640522100", OrgLevel::kTownship), "640522100");
  for (OrgLevel level :
       {OrgLevel::kCounty, OrgLevel::kTownship, OrgLevel::kVillage}) {
    EXPECT_EQ(ParseLevelName(LevelName(level)), level);
  }
  EXPECT_EQ(ParseLevelName("province"), std::nullopt);
  EXPECT_EQ(ParseLevelName(""), std::nullopt);
}

}  // namespace
}  // namespace sanji
